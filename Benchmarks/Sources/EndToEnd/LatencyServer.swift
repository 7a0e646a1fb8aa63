// The latency benchmark's exchange: a plain SwiftNIO WebSocket server that, once a client has sent
// its subscription, writes one ticker frame every 1/rate seconds from a timer on the connection's
// own event loop, stamping the frame with the wall-clock time just before the write. No task hops
// on the sending side, as with a real exchange's gateway.
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket

final class TickerSender: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    let rate: Int
    let template: (prefix: [UInt8], suffix: [UInt8])
    private var streaming = false
    private var task: Scheduled<Void>?

    init(rate: Int, template: (prefix: [UInt8], suffix: [UInt8])) {
        self.rate = rate
        self.template = template
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.opcode {
        case .text where !streaming:
            // The subscription request: start streaming at a fixed rate (frames that a late timer
            // owes are sent at once, each stamped when it is written).
            streaming = true
            let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
            let period = TimeAmount.nanoseconds(Int64(1_000_000_000 / rate))
            scheduleNext(bound, after: NIODeadline.now(), period: period)
        case .ping:
            context.writeAndFlush(
                NIOAny(WebSocketFrame(fin: true, opcode: .pong, data: frame.unmaskedData)), promise: nil)
        case .connectionClose:
            context.close(promise: nil)
        default:
            break
        }
    }

    private func scheduleNext(_ bound: NIOLoopBound<ChannelHandlerContext>, after due: NIODeadline, period: TimeAmount)
    {
        let loopBoundSelf = NIOLoopBound(self, eventLoop: bound.value.eventLoop)
        let template = template
        task = bound.value.eventLoop.scheduleTask(deadline: due) {
            let context = bound.value
            var due = due
            let now = NIODeadline.now()
            while due <= now {
                var buffer = context.channel.allocator.buffer(capacity: template.prefix.count + 48)
                buffer.writeBytes(template.prefix)
                buffer.writeString(String(wallNanoseconds()))
                buffer.writeBytes(template.suffix)
                context.writeAndFlush(NIOAny(WebSocketFrame(fin: true, opcode: .binary, data: buffer)), promise: nil)
                due = due + period
            }
            loopBoundSelf.value.scheduleNext(bound, after: due, period: period)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        task?.cancel()
    }
}

/// Binds the latency server on 127.0.0.1 (`port` 0 picks one) and returns the port it listens on.
func startLatencyServer(port: Int, rate: Int, template: (prefix: [UInt8], suffix: [UInt8])) async throws -> Int {
    try await startBenchmarkServer(port: port) { TickerSender(rate: rate, template: template) }
}

/// A plain NIO WebSocket server on 127.0.0.1 whose upgraded connections each get the handler
/// `makeHandler` makes; returns the port it listens on.
func startBenchmarkServer(
    port: Int, makeHandler: @escaping @Sendable () -> any ChannelInboundHandler & RemovableChannelHandler
) async throws -> Int {
    let upgrader = NIOWebSocketServerUpgrader(
        maxFrameSize: 1 << 20, automaticErrorHandling: true,
        shouldUpgrade: { channel, _ in channel.eventLoop.makeSucceededFuture(HTTPHeaders()) },
        upgradePipelineHandler: { channel, _ in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHandler(makeHandler())
            }
        })
    let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
        .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
        .childChannelInitializer { channel in
            channel.pipeline.configureHTTPServerPipeline(
                withServerUpgrade: (upgraders: [upgrader], completionHandler: { _ in }))
        }
        .bind(host: "127.0.0.1", port: port).get()
    return channel.localAddress?.port ?? port
}
