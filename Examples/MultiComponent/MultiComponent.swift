import ArgumentParser
import Foundation
import Logging
import MarketStreamCore
import MarketStreamRouting
import MockExchange
import UpbitExchange

/// `multi-component`: the user's scenario (seed 001) over one shared connection.
///
/// A chart subscribes to the KRW-BTC ticker; a coin list takes a snapshot of KRW-ETH and KRW-XRP
/// and then streams them; the coin list drops KRW-XRP; the chart goes away. After each step the
/// program waits until every component has received data and the upstream request reflecting the
/// step has gone out, then prints what each component received and the upstream set:
/// {BTC} → {BTC, ETH, XRP} → {BTC, ETH} → {ETH}. On Upbit each request replaces the whole set, so
/// components subscribing on their own would cancel each other; through the router they do not.
@main
struct MultiComponent: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "multi-component",
        abstract: "Two components share one connection: the upstream set after every step."
    )

    enum ExchangeChoice: String, ExpressibleByArgument, CaseIterable { case mock, upbit }

    @Option(help: "mock (embedded, default) or upbit (public data, no keys).") var exchange: ExchangeChoice = .mock
    @Option(help: "WebSocket base URL for --exchange upbit.") var endpoint = "wss://api.upbit.com"

    func run() async throws {
        var logger = Logger(label: "multi-component")
        logger.logLevel = .critical
        try await withThrowingTaskGroup(of: Void.self) { group in
            let base: String
            if exchange == .mock {
                let server = MockExchangeServer(logger: logger)
                group.addTask { try await server.run() }
                base = try await server.endpoint().webSocketBase
            } else {
                base = endpoint
            }
            let upbit = try UpbitExchange(
                exchange: ExchangeID(rawValue: exchange.rawValue), configuration: .init(baseURL: base), logger: logger)
            let router = MarketDataRouter(
                managers: [upbit], configuration: RouterConfiguration(gracePeriod: .zero), logger: logger)
            // The router runs in a ServiceGroup next to the scenario; SIGINT/SIGTERM shut both down.
            let scenario = Scenario(router: router, exchange: upbit.exchange, base: base)
            let outcome = try await ServiceProgram.run(services: [router], logger: logger) { try await scenario.run() }
            group.cancelAll()
            if outcome != .completed { throw ExitCode(outcome.exitStatus) }
        }
    }
}

/// The four steps, each printed when its data arrived and its upstream request went out.
struct Scenario {
    let router: MarketDataRouter
    let exchange: ExchangeID
    let base: String

    func run() async throws {
        let key = ChannelKey(exchange: exchange, channel: .public)
        let btc = try MarketCode("KRW-BTC")
        let eth = try MarketCode("KRW-ETH")
        let xrp = try MarketCode("KRW-XRP")
        print("multi-component: chart and coin list share one connection to \(base)")

        func showUpstream() async {
            await router.waitForUpstreamSync(on: key)
            let markets = router.upstreamTopics(on: key).map(\.market.rawValue).sorted()
            let health = router.health().channels.first { $0.channel == key }
            print(
                "   upstream: {\(markets.joined(separator: ", "))}  (connection \(health?.generation.description ?? "-"), "
                    + "\(health?.upstreamMessages ?? 0) upstream messages so far)")
        }

        let chart = try router.client("chart.KRW-BTC")
        var chartTicks = try chart.subscribe(to: .ticker, markets: [btc]).makeAsyncIterator()
        print("1. chart subscribes to ticker KRW-BTC")
        try await show("chart", received: &chartTicks, markets: [btc])
        await showUpstream()

        let coinList = try router.client("coinlist.main")
        print("2. coin list takes a snapshot of KRW-ETH and KRW-XRP, then streams them")
        for event in try await coinList.snapshot(of: .ticker, markets: [eth, xrp]) {
            print("   coin list <- snapshot \(event.market) \(event.payload)")
        }
        var coinTicks = try coinList.subscribe(to: .ticker, markets: [eth, xrp]).makeAsyncIterator()
        try await show("coin list", received: &coinTicks, markets: [eth, xrp])
        try await show("chart", received: &chartTicks, markets: [btc])
        await showUpstream()

        print("3. coin list drops KRW-XRP")
        coinList.unsubscribe(from: .ticker, markets: [xrp])
        await showUpstream()
        try await show("coin list", received: &coinTicks, markets: [eth])

        print("4. chart goes away")
        chart.close()
        await showUpstream()
        try await show("coin list", received: &coinTicks, markets: [eth])
        coinList.close()
        let reconnects = router.health().channels.first { $0.channel == key }?.reconnects ?? 0
        print("done: one shared connection, \(reconnects) reconnects")
    }

    /// Prints the next event for each of `markets` (waiting for live data, skipping others).
    private func show(
        _ component: String, received iterator: inout Subscription.Iterator, markets: Set<MarketCode>
    ) async throws {
        var waiting = markets
        while !waiting.isEmpty, let event = try await iterator.next() {
            guard case .market(let market) = event, waiting.contains(market.market) else { continue }
            waiting.remove(market.market)
            print("   \(component) <- \(market.stream.rawValue) \(market.kind) \(market.market) \(market.payload)")
        }
    }
}
