import DequeModule
import MarketStreamCore
import NIOCore
import NIOWebSocket

/// The WebSocket end of the pipeline once the upgrade is done.
///
/// Inbound, every complete message goes to the ``ConnectionHandler`` synchronously, on the event
/// loop, as a view of the bytes already read; pings are answered, pongs reported, the peer's close
/// answered and remembered. Outbound, frames are masked, written as they come and flushed once per
/// event-loop tick; while the channel is not writable they wait here.
final class WebSocketMessageHandler: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    private let handler: any ConnectionHandler
    private var assembler: MessageAssembler
    private var context: ChannelHandlerContext?
    private var pending = Deque<(frame: WebSocketFrame, promise: EventLoopPromise<Void>?)>()
    private var flushScheduled = false
    private var closeSent = false
    /// What ended the connection, once known.
    private(set) var ending: WebSocketTransportError?

    init(handler: any ConnectionHandler, maxMessageSize: Int) {
        self.handler = handler
        assembler = MessageAssembler(limit: maxMessageSize)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        failPending()
    }

    // MARK: - Inbound

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        let step: MessageAssembler.Step
        do {
            step = try assembler.take(frame)
        } catch {
            switch error {
            case .tooLarge(let limit):
                fail(
                    WebSocketTransportError(
                        .messageTooLarge, "a message exceeded the limit of \(limit) bytes", closeCode: 1009),
                    closeCode: .messageTooLarge, context: context)
            case .protocolViolation(let reason):
                fail(
                    WebSocketTransportError(
                        .protocolViolation, "WebSocket protocol violation: \(reason)", closeCode: 1002),
                    closeCode: .protocolError, context: context)
            }
            return
        }
        switch step {
        case .message(let opcode, let bytes):
            handler.receive(WebSocketMessage(opcode: opcode, bytes: bytes))
        case .fragment:
            break
        case .ping(let payload):
            send(WebSocketFrame(fin: true, opcode: .pong, maskKey: .random(), data: payload), promise: nil)
            handler.receivedPong()
        case .pong:
            handler.receivedPong()
        case .close(let code, let reason):
            if ending == nil {
                let named = code.map { "\($0)" + (reason.isEmpty ? "" : " \(reason)") } ?? "no code"
                ending = WebSocketTransportError(
                    .closedByPeer, "the server closed the connection (\(named))", closeCode: code,
                    closeReason: reason)
            }
            if closeSent {
                context.close(promise: nil)
            } else {
                var payload = context.channel.allocator.buffer(capacity: 2)
                if let code { payload.writeInteger(code) }
                closeSent = true
                let frame = WebSocketFrame(fin: true, opcode: .connectionClose, maskKey: .random(), data: payload)
                context.writeAndFlush(wrapOutboundOut(frame)).whenComplete { [channel = context.channel] _ in
                    channel.close(promise: nil)
                }
            }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // NIO's protocol error handler may close the channel before the error reaches this
        // handler: a specific cause replaces the generic "closed without a close frame".
        if ending == nil || ending?.code == .connectionLost {
            if let error = error as? NIOWebSocketError, error == .invalidFrameLength {
                ending = WebSocketTransportError(
                    .messageTooLarge, "a frame exceeded the limit of \(assembler.limit) bytes", closeCode: 1009)
            } else if error is NIOWebSocketError {
                ending = WebSocketTransportError(
                    .protocolViolation, "WebSocket protocol violation: \(error)", closeCode: 1002)
            } else {
                ending = WebSocketTransportError(.connectionLost, "the connection failed: \(error)")
            }
        }
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        if ending == nil {
            ending = WebSocketTransportError(.connectionLost, "the connection closed without a close frame")
        }
        failPending()
        context.fireChannelInactive()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { writePending(context: context) }
        context.fireChannelWritabilityChanged()
    }

    // MARK: - Outbound

    /// Writes `frame` (or keeps it while the channel is not writable); the flush follows in the
    /// same event-loop tick, once for every frame written in it.
    func send(_ frame: WebSocketFrame, promise: EventLoopPromise<Void>?) {
        guard let context, ending == nil || frame.opcode == .connectionClose else {
            promise?.fail(ending ?? WebSocketTransportError(.connectionLost, "the connection is closed"))
            return
        }
        pending.append((frame, promise))
        if context.channel.isWritable { writePending(context: context) }
    }

    /// Starts the close handshake with `code`; the connection closes when the server answers,
    /// or after `grace` at the latest.
    func close(code: WebSocketErrorCode, grace: TimeAmount) {
        guard let context, !closeSent else { return }
        closeSent = true
        var payload = context.channel.allocator.buffer(capacity: 2)
        payload.write(webSocketErrorCode: code)
        let frame = WebSocketFrame(fin: true, opcode: .connectionClose, maskKey: .random(), data: payload)
        context.writeAndFlush(wrapOutboundOut(frame), promise: nil)
        let channel = context.channel
        context.eventLoop.scheduleTask(in: grace) { channel.close(promise: nil) }
    }

    private func writePending(context: ChannelHandlerContext) {
        while context.channel.isWritable, let next = pending.popFirst() {
            context.write(wrapOutboundOut(next.frame), promise: next.promise)
        }
        guard !flushScheduled else { return }
        flushScheduled = true
        context.eventLoop.assumeIsolated().execute {
            self.flushScheduled = false
            self.context?.flush()
        }
    }

    private func failPending() {
        let error = ending ?? WebSocketTransportError(.connectionLost, "the connection is closed")
        while let next = pending.popFirst() { next.promise?.fail(error) }
    }

    private func fail(_ error: WebSocketTransportError, closeCode: WebSocketErrorCode, context: ChannelHandlerContext) {
        if ending == nil { ending = error }
        guard !closeSent else {
            context.close(promise: nil)
            return
        }
        closeSent = true
        var payload = context.channel.allocator.buffer(capacity: 2)
        payload.write(webSocketErrorCode: closeCode)
        let frame = WebSocketFrame(fin: true, opcode: .connectionClose, maskKey: .random(), data: payload)
        context.writeAndFlush(wrapOutboundOut(frame)).whenComplete { [channel = context.channel] _ in
            channel.close(promise: nil)
        }
    }
}
