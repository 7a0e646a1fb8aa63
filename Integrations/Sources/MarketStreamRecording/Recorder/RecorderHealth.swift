/// How a ``FrameRecorder`` is doing.
public struct RecorderHealth: Sendable, Hashable, CustomStringConvertible {
    /// Whether it writes.
    public enum State: Sendable, Hashable {
        /// Nothing recorded yet.
        case idle
        /// Writing.
        case recording
        /// The last write failed (a full disk, an unwritable directory): records are dropped and
        /// counted until a write succeeds again.
        case failing(RecordingError)
    }

    public var state: State
    /// Records written to files.
    public var recordsWritten: Int
    /// Compressed bytes written, headers and markers included.
    public var bytesWritten: Int
    /// Records dropped because a write failed or too much waited to be written.
    public var droppedRecords: Int
    /// Files finished (synced and renamed).
    public var filesFinished: Int
    /// The file being written, if any (its final name; `.partial` while open).
    public var currentFile: String?

    public var description: String {
        let state: String
        switch self.state {
        case .idle: state = "idle"
        case .recording: state = "recording"
        case .failing(let error): state = "failing: \(error)"
        }
        return "\(state), \(recordsWritten) records, \(bytesWritten) bytes, \(droppedRecords) dropped, "
            + "\(filesFinished) files finished" + (currentFile.map { ", writing \($0)" } ?? "")
    }
}
