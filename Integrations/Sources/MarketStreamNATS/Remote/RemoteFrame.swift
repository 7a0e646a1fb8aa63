import MarketStreamCore
import NIOCore

/// How a ``RemoteExchange`` connection hands what it takes from the bus to the router, as one
/// frame each: the first byte says what follows.
///
/// - `0`: data: `u8 subject length | subject | envelope | the venue's frame`;
/// - `1`: the gateway's heartbeat (no body);
/// - `2`: the gateway refused topics or a lease: a JSON ``DemandReply``.
enum RemoteFrame {
    static let data: UInt8 = 0
    static let heartbeat: UInt8 = 1
    static let refusal: UInt8 = 2

    /// A data frame for `subject`'s message `payload` (envelope and venue frame).
    static func data(subject: UnsafeRawBufferPointer, payload: UnsafeRawBufferPointer) -> WebSocketMessage {
        var buffer = ByteBufferAllocator().buffer(capacity: 2 + subject.count + payload.count)
        buffer.writeInteger(data)
        buffer.writeInteger(UInt8(truncatingIfNeeded: subject.count))
        buffer.writeBytes(subject)
        buffer.writeBytes(payload)
        return WebSocketMessage(opcode: .binary, bytes: buffer)
    }

    static var beat: WebSocketMessage { .binary([heartbeat]) }

    static func refusal(_ body: [UInt8]) -> WebSocketMessage { .binary([refusal] + body) }
}
