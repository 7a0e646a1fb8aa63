import Logging
import MarketStreamCore
import MarketStreamRouting
import MarketStreamTesting
import Synchronization

/// The seed scenario: chart subscribes to KRW-BTC; the coin list takes a snapshot and a live
/// stream of KRW-ETH and KRW-XRP, then drops KRW-XRP; the chart goes away.
struct SeedScenario {
    let grace: Duration
    let debounce: Duration
    let logger: Logger

    /// Runs the scenario, with the router in a ServiceGroup next to it (SIGINT/SIGTERM end both).
    func run(print: @escaping @Sendable (String) -> Void) async throws {
        let exchange = InMemoryExchange(exchange: "memory")
        let router = MarketDataRouter(
            managers: [exchange], configuration: RouterConfiguration(debounce: debounce, gracePeriod: grace),
            logger: logger)
        let (grace, debounce) = (self.grace, self.debounce)
        try await ProgramRun.run(services: [router], logger: logger) {
            try await Self.steps(exchange: exchange, router: router, grace: grace, debounce: debounce, print: print)
        }
    }

    private static func steps(
        exchange: InMemoryExchange, router: MarketDataRouter, grace: Duration, debounce: Duration,
        print: @escaping @Sendable (String) -> Void
    ) async throws {
        let btc = try MarketCode("KRW-BTC")
        let eth = try MarketCode("KRW-ETH")
        let xrp = try MarketCode("KRW-XRP")
        let printed = Mutex(0)

        @Sendable func showUpstream(_ step: String) async {
            let seen = printed.withLock { $0 }
            await exchange.waitUntil { $0.requests.count > seen }
            let requests = exchange.snapshot.requests
            printed.withLock { $0 = requests.count }
            for request in requests[seen...] {
                let live = request.liveAfter.map(\.market.rawValue).sorted().joined(separator: ", ")
                print("  upstream message #\(request.request.id) (\(step)): live ticker set {\(live)}")
                for line in request.text.split(separator: "\n").dropFirst() { print("      \(line)") }
            }
        }

        print("MarketStream demo: two components, one connection, in-memory exchange '\(exchange.exchange)'")
        print("(debounce \(debounce), grace period \(grace))")
        // Every component's events funnel into one stream, so the output keeps their real order.
        let (received, receivedSink) = AsyncStream.makeStream(of: String.self)
        var lines = received.makeAsyncIterator()
        func showReceived(_ count: Int) async {
            for _ in 0..<count {
                guard let line = await lines.next() else { return }
                print(line)
            }
        }

        try await withThrowingTaskGroup(of: Void.self) { group in
            await exchange.waitForConnection(1)
            print("- the public connection is warm before anyone subscribes")

            let chart = try router.client("chart.KRW-BTC")
            let chartTicks = try chart.subscribe(to: .ticker, markets: [btc])
            group.addTask { await Self.forward(chartTicks, as: "chart", to: receivedSink) }
            print("1. chart subscribes to ticker KRW-BTC")
            await showUpstream("chart joins")
            await showReceived(1)

            let coinList = try router.client("coinlist.main")
            print("2. coin list takes a snapshot of KRW-ETH and KRW-XRP, then streams them")
            let snapshot = try await coinList.snapshot(of: .ticker, markets: [eth, xrp])
            await showUpstream("snapshot: the live key is re-listed, nothing is cancelled")
            for event in snapshot { print("   coin list <- snapshot ticker \(event.market) \(event.payload)") }
            let coinTicks = try coinList.subscribe(to: .ticker, markets: [eth, xrp])
            group.addTask { await Self.forward(coinTicks, as: "coin list", to: receivedSink) }
            await showUpstream("coin list streams")
            await showReceived(2)

            print("   the exchange publishes one tick per market")
            for (market, price) in [(btc, "116539000"), (eth, "4321000"), (xrp, "812.5")] {
                exchange.emitTicker(market, price: ExactDecimal(price)!)
            }
            await showReceived(3)

            print("3. coin list drops KRW-XRP")
            coinList.unsubscribe(from: .ticker, markets: [xrp])
            await showUpstream("KRW-XRP released after the grace period")

            print("4. chart goes away")
            chart.close()
            await showReceived(1)
            await showUpstream("KRW-BTC released")

            exchange.emitTicker(eth, price: ExactDecimal("4322000")!)
            await showReceived(1)
            print("health:")
            for line in router.health().description.split(separator: "\n") { print("  \(line)") }
            coinList.close()
            group.cancelAll()
        }
    }

    private static func forward(
        _ subscription: Subscription, as name: String, to sink: AsyncStream<String>.Continuation
    ) async {
        do {
            for try await event in subscription {
                switch event {
                case .market(let market):
                    sink.yield(
                        "   \(name) <- \(market.stream.rawValue) \(market.kind) \(market.market) \(market.payload)")
                case .connection(let connection):
                    sink.yield("   \(name) <- connection: \(connection)")
                }
            }
            sink.yield("   \(name): subscription ended")
        } catch {
            sink.yield("   \(name): subscription ended with \(error)")
        }
    }
}
