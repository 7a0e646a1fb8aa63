import ArgumentParser
import Foundation
import Logging
import MarketStreamCore
import MarketStreamRouting
import MockExchange
import MomentumStrategy
import UpbitExchange

/// `momentum-trader`: a small strategy paper-trading on the mock exchange. Ticker events drive a
/// momentum signal; market orders go out over REST; `myOrder` and `myAsset` report fills and
/// balances. Midway the mock's private stream starts rejecting the key: the router serves
/// `myOrder`/`myAsset` by REST polling until the stream is back, and the strategy never notices.
@main
struct MomentumTrader: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "momentum-trader",
        abstract: "A momentum strategy paper-trading on the mock exchange, surviving a private-stream outage.",
        discussion: """
            Buys a market with --budget of its quote currency when its price rose more than \
            --threshold basis points over the last --lookback ticks, and sells the holding when it \
            fell as much. Prints orders, fills (realtime or polled), the private channel's mode and \
            a final summary of positions and profit and loss (the change in equity, fees included). \
            --exchange upbit trades real money and needs --live and UPBIT_ACCESS_KEY/UPBIT_SECRET_KEY.
            """
    )

    enum ExchangeChoice: String, ExpressibleByArgument, CaseIterable { case mock, upbit }

    @Option(help: "mock (embedded paper exchange, default) or upbit (real orders).") var exchange = ExchangeChoice.mock
    @Option(help: "Comma-separated KRW market codes.") var codes = "KRW-BTC,KRW-ETH"
    @Option(help: "Seconds to trade.") var duration: Double = 20
    @Option(help: "Ticks the momentum is measured over.") var lookback = 10
    @Option(help: "Momentum in basis points that triggers a buy (and its negative a sell).") var threshold: Double = 5
    @Option(help: "Quote currency spent per buy.") var budget = 100_000
    @Option(
        name: .customLong("outage-at"),
        help: "Mock only: seconds after the start when the private stream starts failing (0: never).")
    var outageAt: Double = 5
    @Option(name: .customLong("outage-for"), help: "Mock only: how many seconds the private stream keeps failing.")
    var outageFor: Double = 6
    @Flag(help: "Required with --exchange upbit: orders are real.") var live = false

    func validate() throws {
        guard let markets = try? MarketCode.parseList(codes), markets.allSatisfy({ $0.quote == "KRW" }) else {
            throw ValidationError("--codes must be KRW markets such as KRW-BTC,KRW-ETH")
        }
        // Finite and bounded: `nan` and `inf` are usage errors, not crashes later.
        guard duration.isFinite, duration > 0, duration <= 86_400 else {
            throw ValidationError("--duration must be a number of seconds from above 0 to 86400")
        }
        guard (2...1_000).contains(lookback) else { throw ValidationError("--lookback must be 2 to 1000") }
        guard threshold.isFinite, threshold >= 0 else {
            throw ValidationError("--threshold must be a finite number of basis points, 0 or more")
        }
        guard budget >= 5_000 else { throw ValidationError("--budget must be at least 5000 (Upbit's minimum order)") }
        guard outageAt.isFinite, outageFor.isFinite, outageAt >= 0, outageFor > 0, outageAt + outageFor <= 86_400 else {
            throw ValidationError(
                "--outage-at and --outage-for must be positive numbers of seconds, together at most 86400")
        }
        if exchange == .upbit && !live { throw ValidationError("--exchange upbit places real orders: add --live") }
    }

    func run() async throws {
        var logger = Logger(label: "momentum-trader")
        logger.logLevel = .critical
        let markets = try MarketCode.parseList(codes)
        switch exchange {
        case .mock:
            let keys = UpbitCredentials(accessKey: "paper-" + UUID().uuidString, secretKey: UUID().uuidString)
            let server = MockExchangeServer(
                configuration: MockExchangeConfiguration(
                    updatesPerSecond: 20,
                    credentials: [MockCredentials(accessKey: keys.accessKey, secretKey: keys.secretKey)]),
                logger: logger)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await server.run() }
                defer { group.cancelAll() }
                let upbit = try UpbitExchange(
                    exchange: "mock",
                    configuration: .init(baseURL: try await server.endpoint().webSocketBase, credentials: keys),
                    logger: logger)
                try await trade(upbit, markets: markets, logger: logger, server: server)
            }
        case .upbit:
            guard let keys = UpbitCredentials.fromEnvironment(ProcessInfo.processInfo.environment) else {
                throw ValidationError("set UPBIT_ACCESS_KEY and UPBIT_SECRET_KEY")
            }
            let upbit = try UpbitExchange(configuration: .init(credentials: keys), logger: logger)
            try await trade(upbit, markets: markets, logger: logger, server: nil)
        }
    }

    private func trade(
        _ upbit: UpbitExchange, markets: [MarketCode], logger: Logger, server: MockExchangeServer?
    ) async throws {
        // Quick recovery for a short demonstration: retry at most every 2 s, and leave REST
        // polling once the stream has stayed up for 2 s (defaults: 30 s and 5 s).
        let router = MarketDataRouter(
            managers: [upbit],
            configuration: RouterConfiguration(
                reconnect: ReconnectPolicy(maximumDelay: .seconds(2)),
                restFallback: RESTFallbackPolicy(recoveryPeriod: .seconds(2))),
            logger: logger)
        let clock = ContinuousClock()
        let start = clock.now
        let stamp: @Sendable () -> String = {
            let elapsed = start.duration(to: clock.now)
            return "["
                + String(
                    format: "%5.1f", Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
                + "s]"
        }
        print(
            "momentum-trader: \(markets.map(\.rawValue).joined(separator: ", ")) on \(upbit.exchange), lookback \(lookback) ticks, threshold \(threshold) bps, \(budget) KRW per buy"
        )
        let (lookback, threshold, budget, duration) = (self.lookback, self.threshold, self.budget, self.duration)
        let (outageAt, outageFor) = (self.outageAt, self.outageFor)
        // The router runs in a ServiceGroup next to the strategy; SIGINT/SIGTERM shut both down.
        let outcome = try await ServiceProgram.run(services: [router], logger: logger) {
            try await withThrowingTaskGroup(of: Void.self) { group in
                defer { group.cancelAll() }
                var session = TradingSession(
                    desk: UpbitOrderDesk(rest: upbit.rest), signal: MomentumSignal(lookback: lookback),
                    threshold: ExactDecimal(String(threshold)) ?? 5, budget: ExactDecimal(budget), stamp: stamp)
                try await session.start()
                let tickers = try router.subscribe(to: .ticker, markets: markets)
                let orders = try router.subscribe(to: .myOrder, markets: [])
                let assets = try router.subscribe(to: .myAsset, markets: [])

                // Everything the strategy reacts to, in one stream.
                let (events, continuation) = AsyncStream.makeStream(of: FeedEvent.self)
                for subscription in [tickers, orders, assets] {
                    group.addTask {
                        for try await event in subscription { continuation.yield(event) }
                    }
                }
                if let server, outageAt > 0 {
                    group.addTask {
                        try await Self.injectOutage(server, at: outageAt, lasting: outageFor, stamp: stamp)
                    }
                }
                group.addTask {
                    try await Task.sleep(for: .milliseconds(Int64(duration * 1_000)))
                    continuation.finish()
                }
                var mode = ChannelDataMode.stream
                for await event in events {
                    switch event {
                    case .market(let market):
                        await session.handle(market)
                    case .connection(let change):
                        // Both private subscriptions hear of a mode change; print it once.
                        if case .modeChanged(let next) = change.kind, next != mode {
                            mode = next
                            print("\(stamp()) private channel: \(next)")
                        }
                    }
                }
                print(session.summary(health: router.health()))
            }
        }
        if outcome != .completed { throw ExitCode(outcome.exitStatus) }
    }

    /// On the mock: the private stream rejects the key for a while, and every socket drops.
    private static func injectOutage(
        _ server: MockExchangeServer, at outageAt: Double, lasting outageFor: Double, stamp: @Sendable () -> String
    ) async throws {
        try await Task.sleep(for: .milliseconds(Int64(outageAt * 1_000)))
        server.setFaults(MockFaults(rejectPrivateStream: true))
        server.dropConnections()
        print("\(stamp()) outage: the private stream now rejects the key (every socket dropped)")
        try await Task.sleep(for: .milliseconds(Int64(outageFor * 1_000)))
        server.setFaults(MockFaults())
        print("\(stamp()) outage over: the private stream accepts the key again")
    }
}
