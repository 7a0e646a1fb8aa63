/// What went wrong writing or reading a recording.
public enum RecordingError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The directory or file cannot be created or opened.
    case cannotOpen(path: String, reason: String)
    /// A write failed (a full disk, a removed directory).
    case writeFailed(path: String, reason: String)
    /// The file does not start with a recording's header.
    case notARecording(path: String)
    /// A block cannot be read; the reader goes on with the next one.
    case corruptBlock(offset: Int, reason: String)
    /// zstd refused to compress.
    case compressionFailed(reason: String)
    /// A replay was asked for something it cannot do (a speed that is not a positive number).
    case invalidArgument(String)

    /// The byte offset a corrupt block names (`Int.max` for the other errors).
    public var offset: Int {
        if case .corruptBlock(let offset, _) = self { return offset }
        return .max
    }

    public var description: String {
        switch self {
        case .cannotOpen(let path, let reason): "cannot open \(path): \(reason)"
        case .writeFailed(let path, let reason): "cannot write \(path): \(reason)"
        case .notARecording(let path): "\(path) is not a MarketStream recording (no MSR1 header)"
        case .corruptBlock(let offset, let reason): "the block at byte \(offset) is corrupt: \(reason)"
        case .compressionFailed(let reason): "zstd could not compress a block: \(reason)"
        case .invalidArgument(let reason): reason
        }
    }
}
