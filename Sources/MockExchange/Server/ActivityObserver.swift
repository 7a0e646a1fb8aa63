import NIOCore
import NIOWebSocket
import Synchronization

/// Watches an upgraded connection's frames on its event loop: marks the connection active when a
/// protocol ping arrives (the WebSocket layer answers pings itself, so without this the idle
/// timeout could not tell a pinging client from a dead one), and notes when each message starts
/// arriving, so message limits are counted at arrival — as an exchange's edge counts them — and
/// not when a busy server gets round to processing the message.
final class ActivityObserver: ChannelInboundHandler, Sendable {
    typealias InboundIn = WebSocketFrame
    typealias InboundOut = WebSocketFrame

    private let onActivity: @Sendable () -> Void
    private let onMessage: @Sendable () -> Void

    init(onActivity: @escaping @Sendable () -> Void, onMessage: @escaping @Sendable () -> Void) {
        self.onActivity = onActivity
        self.onMessage = onMessage
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data).opcode {
        case .ping: onActivity()
        case .text, .binary: onMessage()  // the first frame of a message
        default: break
        }
        context.fireChannelRead(data)
    }

    /// Installs an observer right after the frame decoder of an upgraded channel.
    static func install(
        on channel: any Channel, onActivity: @escaping @Sendable () -> Void, onMessage: @escaping @Sendable () -> Void
    ) async {
        do {
            try await channel.eventLoop.submit {
                let pipeline = channel.pipeline.syncOperations
                let decoder = try pipeline.handler(type: ByteToMessageHandler<WebSocketFrameDecoder>.self)
                let observer = ActivityObserver(onActivity: onActivity, onMessage: onMessage)
                try pipeline.addHandler(observer, position: .after(decoder))
            }.get()
        } catch {
            // Without the observer, pings simply do not postpone the idle timeout.
        }
    }
}
