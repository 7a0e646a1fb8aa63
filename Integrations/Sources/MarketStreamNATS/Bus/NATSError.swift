import CNATS

/// A failure reported by the NATS client library, with its status and text.
public struct NATSError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong, in the terms callers act on.
    public enum Code: Sendable, Hashable {
        /// Nobody listens on the subject of a request (the gateway is not running).
        case noResponders
        /// No answer, or no connection, within the time allowed.
        case timeout
        /// The connection is closed or was never made.
        case connectionClosed
        /// Anything else nats.c reports (the text says what).
        case failed
    }

    /// What went wrong.
    public var code: Code
    /// nats.c's status text and what was being done.
    public var message: String

    /// Creates an error.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// The error for a nats.c status, while doing `action`.
    init(status: natsStatus, _ action: String) {
        var last = NATS_OK
        let detail = nats_GetLastError(&last).map { String(cString: $0) } ?? ""
        let text = detail.isEmpty ? String(cString: natsStatus_GetText(status)) : detail
        let code: Code =
            switch status {
            case NATS_NO_RESPONDERS: .noResponders
            case NATS_TIMEOUT: .timeout
            case NATS_CONNECTION_CLOSED, NATS_NOT_YET_CONNECTED, NATS_CONNECTION_DISCONNECTED, NATS_NO_SERVER:
                .connectionClosed
            default: .failed
            }
        self.init(code, "\(action): \(text)")
    }

    public var description: String { message }
}

/// Throws the error of `status` unless it is `NATS_OK`.
@inline(__always)
func check(_ status: natsStatus, _ action: @autoclosure () -> String) throws(NATSError) {
    guard status == NATS_OK else { throw NATSError(status: status, action()) }
}
