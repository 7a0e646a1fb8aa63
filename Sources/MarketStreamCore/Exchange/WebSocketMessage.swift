import NIOCore

/// One complete WebSocket message received from an exchange (fragments already joined).
///
/// ``bytes`` is a view of the buffer the transport read it into, not a copy: decode it where it
/// is handed over (``ConnectionHandler/receive(_:)`` runs on the connection's event loop) and keep
/// only what you decoded.
public struct WebSocketMessage: Sendable {
    /// Text or binary.
    public enum Opcode: Sendable, Hashable { case text, binary }

    /// Text or binary.
    public var opcode: Opcode
    /// The message's payload.
    public var bytes: ByteBuffer

    /// Creates a message.
    public init(opcode: Opcode, bytes: ByteBuffer) {
        self.opcode = opcode
        self.bytes = bytes
    }

    /// A text message holding `text` as UTF-8.
    public static func text(_ text: String) -> WebSocketMessage {
        WebSocketMessage(opcode: .text, bytes: ByteBuffer(string: text))
    }

    /// A binary message.
    public static func binary(_ bytes: some Sequence<UInt8>) -> WebSocketMessage {
        WebSocketMessage(opcode: .binary, bytes: ByteBuffer(bytes: bytes))
    }

    /// Calls `body` with the payload's bytes, valid only during the call.
    ///
    /// Inlinable, so each caller gets it specialised: generic, it looked up `Result`'s metadata
    /// at run time on every frame decoded (measured: about 5 % of a replay's time).
    @inlinable
    public func withUnsafeBytes<Result, Failure: Error>(
        _ body: (UnsafeBufferPointer<UInt8>) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        let outcome: Swift.Result<Result, Failure> = bytes.withUnsafeReadableBytes { raw in
            do throws(Failure) {
                return .success(try body(raw.assumingMemoryBound(to: UInt8.self)))
            } catch {
                return .failure(error)
            }
        }
        return try outcome.get()
    }
}
