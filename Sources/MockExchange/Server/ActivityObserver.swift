import NIOCore
import NIOWebSocket
import Synchronization

/// Marks a connection active when a protocol ping arrives; the WebSocket layer answers pings
/// itself, so without this the idle timeout could not tell a pinging client from a dead one.
final class ActivityObserver: ChannelInboundHandler, Sendable {
    typealias InboundIn = WebSocketFrame
    typealias InboundOut = WebSocketFrame

    private let onActivity: @Sendable () -> Void

    init(onActivity: @escaping @Sendable () -> Void) { self.onActivity = onActivity }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if unwrapInboundIn(data).opcode == .ping { onActivity() }
        context.fireChannelRead(data)
    }

    /// Installs an observer right after the frame decoder of an upgraded channel.
    static func install(on channel: any Channel, onActivity: @escaping @Sendable () -> Void) async {
        do {
            try await channel.eventLoop.submit {
                let pipeline = channel.pipeline.syncOperations
                let decoder = try pipeline.handler(type: ByteToMessageHandler<WebSocketFrameDecoder>.self)
                try pipeline.addHandler(ActivityObserver(onActivity: onActivity), position: .after(decoder))
            }.get()
        } catch {
            // Without the observer, pings simply do not postpone the idle timeout.
        }
    }
}
