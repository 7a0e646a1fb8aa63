import MarketStreamCore
import Synchronization
import UpbitExchange

/// The Upbit module with the socket taken away: the router connects to it as usual (and sends its
/// requests into the void), and the benchmark hands frames straight to the router's connection
/// handler — decode and route, on the benchmark's thread, through the public module interface.
public struct DirectFeedExchange: OverwriteSubscriptionManager {
    public let upbit: UpbitExchange
    private let handlerBox = HandlerBox()

    public init(upbit: UpbitExchange) { self.upbit = upbit }

    public var exchange: ExchangeID { upbit.exchange }
    public var channels: [ExchangeChannel] { upbit.channels.filter { $0.id == .public } }
    public var connectLimit: RateLimit { upbit.connectLimit }

    /// The router's handler of the open connection, once there is one.
    public var handler: (any ConnectionHandler)? { handlerBox.handler.withLock { $0 } }

    public func connect(to channel: ChannelID, handler: any ConnectionHandler) async throws {
        handlerBox.handler.withLock { $0 = handler }
        try await handler.run(outbound: Void())
    }

    public func decode(_ frame: WebSocketMessage, context: DecodeContext, into output: inout DecodedFrame)
        throws(MarketStreamError)
    {
        try upbit.decode(frame, context: context, into: &output)
    }

    public func overwriteMessage(for request: SubscriptionRequest) throws(MarketStreamError) -> OutboundMessage? {
        try upbit.overwriteMessage(for: request)
    }

    private final class HandlerBox: Sendable {
        let handler = Mutex<(any ConnectionHandler)?>(nil)
    }

    private struct Void: WebSocketOutbound {
        func send(_ message: OutboundMessage) async throws {}
        func sendPing() async throws {}
    }
}

/// Hands `count` copies of `frame` (then `last`, if given) to the router's connection handler,
/// yielding every 64 frames, as one socket read hands a burst over, so that subscribers on the
/// same executor drain their buffers between bursts.
public nonisolated func feed(
    _ handler: any ConnectionHandler, _ frame: WebSocketMessage, count: Int, then last: WebSocketMessage? = nil
) async {
    for index in 0..<count {
        handler.receive(frame)
        if index % 64 == 63 { await Task.yield() }
    }
    if let last { handler.receive(last) }
}
