/// What one record of a recording holds.
public enum RecordKind: UInt8, Sendable, Hashable, Codable, CustomStringConvertible {
    /// A frame the venue sent, exactly as received.
    case frame = 1
    /// A subscription message this side sent.
    case sent = 2
    /// A connection opened (its generation is the record's).
    case connected = 3
    /// A connection ended; the bytes say why.
    case disconnected = 4
    /// A note the recorder made (the bytes say what).
    case marker = 5

    public var description: String {
        switch self {
        case .frame: "frame"
        case .sent: "sent"
        case .connected: "connected"
        case .disconnected: "disconnected"
        case .marker: "marker"
        }
    }
}

/// Flags of a record.
public struct RecordFlags: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    /// The frame was a text frame (otherwise binary).
    public static let text = RecordFlags(rawValue: 1 << 0)
}
