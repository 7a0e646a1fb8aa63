/// Upbit's per-connection response formats.
public enum UpbitFormat: String, Sendable, Hashable, CaseIterable {
    /// Full key names, one object per frame.
    case `default` = "DEFAULT"
    /// Abbreviated keys, one object per frame.
    case simple = "SIMPLE"
    /// Full key names, each frame a one-element array.
    case jsonList = "JSON_LIST"
    /// Abbreviated keys, each frame a one-element array.
    case simpleList = "SIMPLE_LIST"

    /// Whether keys are abbreviated.
    package var isSimple: Bool { self == .simple || self == .simpleList }
    /// Whether frames are arrays.
    package var isList: Bool { self == .jsonList || self == .simpleList }
}
