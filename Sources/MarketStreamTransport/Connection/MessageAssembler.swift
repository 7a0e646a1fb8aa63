import MarketStreamCore
import NIOCore
import NIOWebSocket

/// Turns WebSocket frames into messages (RFC 6455 §5.4): a message is one final text or binary
/// frame, or a first frame and continuations up to a final one; control frames (ping, pong,
/// close) may stand between fragments and are answered at once.
///
/// A value type with no I/O: the channel handler feeds it frames and acts on what it returns.
struct MessageAssembler {
    /// What one frame amounts to.
    enum Step {
        /// A complete message. An unfragmented one is a view of the bytes the frame decoder read,
        /// not a copy.
        case message(WebSocketMessage.Opcode, ByteBuffer)
        /// A fragment was taken; the message is not complete yet.
        case fragment
        /// A ping, to be answered with a pong carrying `payload`.
        case ping(payload: ByteBuffer)
        /// A pong.
        case pong
        /// The peer's close frame.
        case close(code: UInt16?, reason: String)
    }

    /// A frame that ends the connection.
    enum Failure: Error, Equatable {
        /// The message would exceed the limit (close with 1009).
        case tooLarge(limit: Int)
        /// The frames break the protocol (close with 1002).
        case protocolViolation(String)
    }

    let limit: Int
    private var partial: (opcode: WebSocketMessage.Opcode, buffer: ByteBuffer)?

    init(limit: Int) {
        self.limit = limit
    }

    /// Whether a fragmented message is being assembled.
    var isAssembling: Bool { partial != nil }

    mutating func take(_ frame: WebSocketFrame) throws(Failure) -> Step {
        let data = frame.maskKey == nil ? frame.data : frame.unmaskedData
        switch frame.opcode {
        case .text, .binary:
            guard partial == nil else {
                throw .protocolViolation("a new message started before the fragmented one ended")
            }
            let opcode: WebSocketMessage.Opcode = frame.opcode == .text ? .text : .binary
            guard data.readableBytes <= limit else { throw .tooLarge(limit: limit) }
            if frame.fin { return .message(opcode, data) }
            partial = (opcode, data)
            return .fragment
        case .continuation:
            guard var assembling = partial else {
                throw .protocolViolation("a continuation frame without a message to continue")
            }
            guard assembling.buffer.readableBytes + data.readableBytes <= limit else {
                partial = nil
                throw .tooLarge(limit: limit)
            }
            partial = nil  // keep the buffer uniquely referenced so the append does not copy it
            var fragment = data
            assembling.buffer.writeBuffer(&fragment)
            if frame.fin { return .message(assembling.opcode, assembling.buffer) }
            partial = assembling
            return .fragment
        case .ping:
            guard frame.fin else { throw .protocolViolation("a fragmented ping") }
            return .ping(payload: data)
        case .pong:
            return .pong
        case .connectionClose:
            var payload = data
            guard payload.readableBytes >= 2, let code = payload.readInteger(as: UInt16.self) else {
                return .close(code: nil, reason: "")
            }
            return .close(code: code, reason: payload.readString(length: payload.readableBytes) ?? "")
        default:
            throw .protocolViolation("unknown opcode \(frame.opcode)")
        }
    }
}
