import Logging
import MarketStreamCore
import MarketStreamRouting
import MarketStreamTransport
import NIOCore
import NIOPosix
import Testing
import TransportTestSupport

/// The exchange module of the DocC guide "Writing an exchange module", written with public API
/// only: if the API the guide shows changes, this stops compiling.
///
/// Its wire format is plain text: a subscription request is `SET <topics>`, and the server (the
/// recording test server's `/echo`) answers with the same text, which the module reads as a
/// status frame.
struct GuideExchange: OverwriteSubscriptionManager {
    let exchange: ExchangeID = "guide"
    let channels = [
        ExchangeChannel(
            id: .public, families: ["trade"], messageLimits: [RateLimit(5, per: .seconds(1))],
            keepaliveInterval: .seconds(20), silenceTolerance: .seconds(60))
    ]
    let connectLimit = RateLimit(5, per: .seconds(1))
    let endpoint: String
    let executor: EventLoopTaskExecutor
    let logger: Logger
    /// What the decoder read, for the test to wait on.
    let decoded = AsyncStream.makeStream(of: String.self)

    func connect(to channel: ChannelID, handler: any ConnectionHandler) async throws {
        do {
            try await WebSocketTransport.run(
                url: try WebSocketURL(endpoint + "/echo"), configuration: WebSocketTransportConfiguration(),
                eventLoop: executor.eventLoop, handler: handler, logger: logger)
        } catch let error as WebSocketTransportError {
            throw MarketStreamError(error, exchange: exchange)
        }
    }

    func decode(_ message: WebSocketMessage, context: DecodeContext, into output: inout DecodedFrame)
        throws(MarketStreamError)
    {
        guard let text = String(validating: message.bytes.readableBytesView, as: UTF8.self) else {
            throw MarketStreamError(.malformedFrame, "not UTF-8", exchange: exchange)
        }
        output.controls.append(.status(text))
        decoded.continuation.yield(text)
    }

    func overwriteMessage(for request: SubscriptionRequest) throws(MarketStreamError) -> OutboundMessage? {
        guard !request.desired.isEmpty else { return nil }
        return .text("SET " + request.desired.map(\.market.rawValue).sorted().joined(separator: ","))
    }
}

@Suite(.timeLimit(.minutes(1))) struct GuideExchangeTests {
    @Test func theGuidesModuleRunsThroughTheRouter() async throws {
        let server = try await RecordingWebSocketServer()
        defer { Task { await server.shutdown() } }
        let module = GuideExchange(
            endpoint: "ws://127.0.0.1:\(server.port)", executor: EventLoopTaskExecutor(), logger: quietLogger)
        let router = MarketDataRouter(
            managers: [module], configuration: RouterConfiguration(debounce: .milliseconds(10)), logger: quietLogger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await router.run() }
            defer { group.cancelAll() }
            let trades = try router.subscribe(to: .trade, markets: [MarketCode("KRW-BTC"), MarketCode("KRW-ETH")])
            await router.waitForUpstreamSync(on: ChannelKey(exchange: "guide", channel: .public))
            await server.waitForFrames { frames in frames.contains { $0.text == "SET KRW-BTC,KRW-ETH" } }
            // The echo came back through the transport and the module's decoder.
            for await text in module.decoded.stream where text == "SET KRW-BTC,KRW-ETH" { break }
            #expect((router.health().channels.first?.messagesReceived ?? 0) >= 1)
            #expect(router.upstreamTopics(on: ChannelKey(exchange: "guide", channel: .public)).count == 2)
            withExtendedLifetime(trades) {}
        }
    }
}
