import BinanceExchange
import BinanceWire
import Logging
import MarketStreamCore
import MarketStreamRouting
import MockExchange
import PropertyBased
import Testing
import UpbitExchange

/// Random subscribes and cancels across two venues of different styles (Upbit's overwrite,
/// Binance's subscribe/unsubscribe) on one router: after every step each venue's upstream set,
/// as the mock exchange holds it, is the union of that venue's live subscriptions.
@Suite(.timeLimit(.minutes(2))) struct CrossVenueConsolidationTests {
    static let markets = ["KRW-BTC", "KRW-ETH", "USDT-BTC"].map { MarketCode(validated: $0) }
    static let kinds: [DataKind] = [.ticker, .trade, .orderbook(depth: .five)]

    /// One step, drawn from a number: subscribe (venue, kind, market) or cancel a live subscription.
    struct Step: Sendable, CustomStringConvertible {
        var subscribe: Bool
        var venue: Int
        var kind: Int
        var market: Int
        var index: Int

        init(_ seed: Int) {
            subscribe = seed % 3 != 0
            venue = seed / 3 % 2
            kind = seed / 6 % 3
            market = seed / 18 % 3
            index = seed / 54
        }

        var description: String { subscribe ? "+\(venue)/\(kind)/\(market)" : "-#\(index)" }
    }

    @Test func eachVenuesUpstreamSetIsTheUnionOfItsSubscriptions() async throws {
        await propertyCheck(count: 4, input: Gen.int(in: 0...5_000).array(of: 6...12)) { seeds in
            let steps = seeds.map(Step.init)
            do {
                try await Self.run(steps)
            } catch {
                Issue.record("\(steps): \(error)")
            }
        }
    }

    static func run(_ steps: [Step]) async throws {
        let server = MockExchangeServer(configuration: MockExchangeConfiguration(), logger: quietLogger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await server.run() }
            defer { group.cancelAll() }
            let base = try await server.endpoint().webSocketBase
            let upbit = try UpbitExchange(configuration: .init(baseURL: base), logger: quietLogger)
            let binance = try BinanceExchange(configuration: .init(baseURL: base + "/binance"), logger: quietLogger)
            let router = MarketDataRouter(
                managers: [upbit, binance],
                configuration: RouterConfiguration(debounce: .milliseconds(10), gracePeriod: .zero),
                logger: quietLogger)
            group.addTask { try await router.run() }
            var live: [(venue: Int, kind: DataKind, market: MarketCode, subscription: Subscription)] = []
            for step in steps {
                if step.subscribe {
                    let (kind, market) = (kinds[step.kind], markets[step.market])
                    let exchange: ExchangeID = step.venue == 0 ? "upbit" : "binance"
                    live.append(
                        (step.venue, kind, market, try router.subscribe(to: kind, markets: [market], on: exchange)))
                } else if !live.isEmpty {
                    live.remove(at: step.index % live.count).subscription.cancel()
                }
                let wantedUpbit = Set(live.filter { $0.venue == 0 }.map { upbitCode($0.kind, $0.market) })
                let wantedBinance = Set(live.filter { $0.venue == 1 }.map { binanceStream($0.kind, $0.market) })
                func sets() -> (Set<String>, Set<String>) {
                    let upbitSet = Set(
                        server.upbitConnections().filter { !$0.isPrivate }.flatMap(\.subscriptions).map {
                            "\($0.type):\($0.market?.rawValue ?? "-")"
                        })
                    return (upbitSet, Set(server.binanceConnections().flatMap { $0 }))
                }
                let deadline = ContinuousClock.now + .seconds(10)
                while sets() != (wantedUpbit, wantedBinance), ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(20))
                }
                let (upbitSet, binanceSet) = sets()
                #expect(upbitSet == wantedUpbit, "after \(step) of \(steps)")
                #expect(binanceSet == wantedBinance, "after \(step) of \(steps)")
            }
            for entry in live { entry.subscription.cancel() }
        }
    }

    /// How the mock lists an Upbit subscription (a book by its family, depth aside).
    static func upbitCode(_ kind: DataKind, _ market: MarketCode) -> String { "\(kind.family):\(market.rawValue)" }

    static func binanceStream(_ kind: DataKind, _ market: MarketCode) -> String {
        BinanceStream(topic: SubscriptionTopic(exchange: "binance", kind: kind, market: market))!.name
    }
}
