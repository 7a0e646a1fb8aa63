/// Why a WebSocket connection could not be made, or what ended it.
///
/// A refused upgrade keeps the HTTP status, the start of the body and the exchange's
/// `Remaining-Req` header, so that a 401 (bad credentials), a 429 (rate limit, for example Upbit's
/// `group=origin`) and a 418 (blocked) can be told apart. Nothing here holds a request header: the
/// upgrade may carry a token.
public struct WebSocketTransportError: Error, Sendable, CustomStringConvertible {
    /// What went wrong.
    public enum Code: String, Sendable, Hashable {
        /// The address is not a `ws://` or `wss://` URL.
        case invalidURL
        /// The TCP connection (or name resolution) failed.
        case connectFailed
        /// The connection or upgrade did not complete within the configured time.
        case timedOut
        /// The TLS handshake failed (for example an untrusted certificate).
        case tlsFailed
        /// The server answered the upgrade with something other than `101 Switching Protocols`.
        case upgradeRefused
        /// The server answered `101` with a wrong `Sec-WebSocket-Accept` (or no upgrade header).
        case upgradeInvalid
        /// A message was larger than the configured limit; the connection was closed with 1009.
        case messageTooLarge
        /// The peer broke the WebSocket protocol (for example a continuation without a start).
        case protocolViolation
        /// The server closed the connection with a close frame.
        case closedByPeer
        /// The connection ended without a close handshake.
        case connectionLost
    }

    /// What went wrong.
    public var code: Code
    /// A human-readable explanation.
    public var message: String
    /// The HTTP status of a refused upgrade.
    public var httpStatus: Int?
    /// The start of a refused upgrade's body (at most 1 KiB).
    public var body: String?
    /// The `Remaining-Req` header of a refused upgrade (Upbit's rate-limit report).
    public var remainingRequests: String?
    /// The close code the peer sent (or 1009/1002 when this side closed for an oversize message or
    /// a protocol violation).
    public var closeCode: UInt16?
    /// The reason the peer's close frame gave.
    public var closeReason: String?

    /// Creates an error.
    public init(
        _ code: Code, _ message: String, httpStatus: Int? = nil, body: String? = nil,
        remainingRequests: String? = nil, closeCode: UInt16? = nil, closeReason: String? = nil
    ) {
        self.code = code
        self.message = message
        self.httpStatus = httpStatus
        self.body = body
        self.remainingRequests = remainingRequests
        self.closeCode = closeCode
        self.closeReason = closeReason
    }

    public var description: String {
        var text = message
        if let remainingRequests { text += " (Remaining-Req: \(remainingRequests))" }
        return text
    }
}
