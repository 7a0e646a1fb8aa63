// The flood benchmark's exchange: a plain SwiftNIO WebSocket server that, once a client has sent
// its subscription, writes one pre-encoded Upbit frame after another for as long as the socket
// takes them (writes in batches of 64 with one flush, paused while the channel is not writable),
// so the client, not the source, is what is measured. The frame is in the format the subscription
// asks for (`"format":"SIMPLE"` gets the SIMPLE sample, anything else the DEFAULT one).
import NIOCore
import NIOWebSocket

final class FloodSender: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    let frames: FloodFrames
    private var frame = ByteBuffer()
    private var streaming = false

    init(frames: FloodFrames) {
        self.frames = frames
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let incoming = unwrapInboundIn(data)
        switch incoming.opcode {
        case .text where !streaming:
            let request = String(buffer: incoming.unmaskedData)
            frame = request.contains("\"SIMPLE\"") ? frames.simple : frames.standard
            streaming = true
            writeBatch(context: context)
        case .ping:
            context.writeAndFlush(
                wrapOutboundOut(WebSocketFrame(fin: true, opcode: .pong, data: incoming.unmaskedData)), promise: nil)
        case .connectionClose:
            streaming = false
            context.close(promise: nil)
        default:
            break
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if streaming, context.channel.isWritable { writeBatch(context: context) }
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        streaming = false
        context.fireChannelInactive()
    }

    private func writeBatch(context: ChannelHandlerContext) {
        guard streaming, context.channel.isWritable else { return }
        for _ in 0..<64 {
            context.write(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .binary, data: frame)), promise: nil)
        }
        context.flush()
        // Continue on the next tick, so the loop still reads (pings, the close).
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        context.eventLoop.execute { bound.value.0.writeBatch(context: bound.value.1) }
    }
}

/// Binds the flood server on 127.0.0.1 (`port` 0 picks one) and returns the port it listens on.
func startFloodServer(port: Int, frames: FloodFrames) async throws -> Int {
    try await startBenchmarkServer(port: port) { FloodSender(frames: frames) }
}

/// One pre-encoded frame per Upbit format.
struct FloodFrames: Sendable {
    let standard: ByteBuffer
    let simple: ByteBuffer
}
