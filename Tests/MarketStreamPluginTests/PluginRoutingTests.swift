import Logging
import MarketStreamCore
import MarketStreamPlugins
import MarketStreamRouting
import MarketStreamTesting
import Testing

/// Loaded plugins behave as handlers in the router: inputs consolidated upstream, outputs
/// delivered like built-in kinds, failures isolated and counted.
@Suite(.timeLimit(.minutes(1))) struct PluginRoutingTests {
    let btc = try! MarketCode("KRW-BTC")

    func run(_ body: (MarketDataRouter, InMemoryExchange) async throws -> Void) async throws {
        let plugins = try PluginLoader().load([BuiltPlugins.path("Spread"), BuiltPlugins.path("FixtureFailing")])
        let exchange = InMemoryExchange()
        let router = MarketDataRouter(
            managers: [exchange], handlers: try HandlerRegistry(plugins),
            configuration: RouterConfiguration(debounce: .zero, gracePeriod: .zero),
            logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await router.run() }
            defer { group.cancelAll() }
            try await body(router, exchange)
        }
    }

    @Test func aPluginKindSubscribesItsInputsAndDeliversItsOutput() async throws {
        try await run { router, exchange in
            let spreads = try router.subscribe(to: try DataKind.custom("spread"), markets: [btc])
            let topic = SubscriptionTopic(exchange: exchange.exchange, kind: .orderbook, market: btc)
            await exchange.waitUntil { $0.live[.public] == [topic] }
            let book = Orderbook(
                totalAskSize: 1, totalBidSize: 1,
                units: [.init(askPrice: 1_010, bidPrice: 1_000, askSize: 1, bidSize: 1)])
            exchange.emit(.orderbook(book), kind: .orderbook, market: btc)
            var iterator = spreads.makeAsyncIterator()
            var spread: MarketEvent?
            while let event = try await iterator.next() {
                if case .market(let market) = event, market.stream == .realtime {
                    spread = market
                    break
                }
            }
            guard case .custom(let payload)? = spread?.payload else {
                Issue.record("expected a spread event, got \(String(describing: spread))")
                return
            }
            #expect(spread?.kind.description == "spread" && spread?.market == btc)
            #expect(payload["spread"] == 10 && payload["mid"] == 1_005)
            spreads.cancel()
            await exchange.waitUntil { ($0.live[.public] ?? []).isEmpty }
        }
    }

    @Test func aFailingPluginLosesOnlyItsEventAndIsCounted() async throws {
        try await run { router, exchange in
            let failing = try router.subscribe(to: try DataKind.custom("failing"), markets: [btc])
            let trades = try router.subscribe(to: .trade, markets: [btc])
            let topic = SubscriptionTopic(exchange: exchange.exchange, kind: .trade, market: btc)
            await exchange.waitUntil { $0.live[.public] == [topic] }
            for volume: ExactDecimal in [500, 5] {
                exchange.emit(
                    .trade(Trade(id: 1, price: 1, size: volume, side: .bid)), kind: .trade,
                    market: btc)
            }
            var failingEvents = failing.makeAsyncIterator()
            var output: MarketEvent?
            while let event = try await failingEvents.next() {
                if case .market(let market) = event, market.stream == .realtime {
                    output = market
                    break
                }
            }
            guard case .custom(let payload)? = output?.payload else {
                Issue.record("expected the plugin's output")
                return
            }
            #expect(payload["volume"] == 5)  // the event of volume 500 was skipped
            var tradeEvents = trades.makeAsyncIterator()
            var volumes: [ExactDecimal] = []
            while volumes.count < 2, let event = try await tradeEvents.next() {
                if case .market(let market) = event, market.stream == .realtime, case .trade(let trade) = market.payload
                {
                    volumes.append(trade.size)
                }
            }
            #expect(volumes == [500, 5])  // other subscribers are unaffected
            #expect(router.health().channels.map(\.handlerFailures).reduce(0, +) == 1)
        }
    }

    @Test func aPluginThatCannotStartFailsTheSubscriptionWithItsMessage() async throws {
        try await run { router, _ in
            #expect {
                _ = try router.subscribe(to: try DataKind.custom("failing"), markets: [try MarketCode("KRW-FAIL")])
            } throws: { error in
                let error = error as? MarketStreamError
                return error?.code == .handlerFailed && error?.message.contains("this plugin refuses KRW-FAIL") == true
            }
        }
    }
}
