import Foundation
import MarketStreamCore
import MarketStreamRecording
import MarketStreamRouting
import MockExchange
import Testing
import UpbitExchange

/// A recording served by the mock exchange over loopback, to an ordinary Upbit client.
@Suite(.timeLimit(.minutes(1))) struct ServedRecordingTests {
    static let btc = MarketCode(validated: "KRW-BTC")
    static let eth = MarketCode(validated: "KRW-ETH")

    /// Records tickers of KRW-BTC and KRW-ETH from a simulating mock until `count` arrived.
    static func recordTwoMarkets(into directory: String, count: Int) async throws -> String {
        try await recordMockSession(
            into: directory, mock: MockExchangeConfiguration(marketCount: 3, updatesPerSecond: 200)
        ) { _, router in
            try await awaitMarketEvents(count, on: router.subscribe(to: DataKind.ticker, markets: [btc, eth]))
        }.1
    }

    /// Serves `feed`'s markets from a mock exchange to an Upbit client's router, subscribed to
    /// KRW-BTC tickers, and runs `body` once the mock holds that subscription.
    static func serve(
        _ feed: RecordedMarketFeed,
        _ body: (MockExchangeServer, MarketDataRouter, inout Subscription.Iterator) async throws -> Void
    ) async throws {
        var configuration = MockExchangeConfiguration()
        configuration.publishedMarkets = try feed.markets()
        let server = MockExchangeServer(configuration: configuration, logger: quietLogger)
        let serving = Task { try await server.run() }
        defer { serving.cancel() }
        let client = try UpbitExchange(
            configuration: .init(baseURL: try await server.endpoint().webSocketBase), logger: quietLogger)
        let router = MarketDataRouter(managers: [client], configuration: replayConfiguration, logger: quietLogger)
        let routing = Task { try await router.run() }
        defer { routing.cancel() }
        var live = try router.subscribe(to: .ticker, markets: [btc]).makeAsyncIterator()
        await server.waitForSubscriber()
        try await body(server, router, &live)
    }

    /// What a ticker event shows a client: market, price and exchange time.
    struct Tick: Hashable {
        var market: MarketCode
        var price: ExactDecimal
        var timestamp: UnixTime

        init?(_ event: MarketEvent) {
            guard case .ticker(let ticker) = event.payload else { return nil }
            (market, price, timestamp) = (event.market, ticker.price, event.timestamp)
        }
    }

    @Test func aClientGetsTheRecordedEventsOfItsCodesThenSnapshotsOfTheLastState() async throws {
        try await withTemporaryDirectory { directory in
            let file = try await Self.recordTwoMarkets(into: directory, count: 40)
            let decoder = try UpbitExchange(exchange: "mock", logger: quietLogger)
            let feed = try RecordedMarketFeed(venue: decoder, files: [file], speed: .asFastAsPossible)
            var recorded: [Tick] = []
            _ = try await feed.play { events in recorded += events.compactMap(Tick.init) }
            #expect(Set(recorded.map(\.market)) == [Self.btc, Self.eth], "both markets were recorded")

            #expect(Set(try feed.markets()) == [Self.btc, Self.eth])
            // Subscribed to KRW-BTC before the playback: exactly the recorded KRW-BTC tickers, live
            // (the first may come as the subscription's snapshot instead, or as well, when the
            // playback's first events land while the mock still answers the subscription).
            try await Self.serve(feed) { server, router, events in
                let summary = try await feed.play { events in server.publish(events) }
                #expect(summary.events == recorded.count && summary.undecodableFrames == 0 && summary.issues.isEmpty)
                let expected = recorded.filter { $0.market == Self.btc }
                var live: [Tick] = []
                var snapshots: [Tick] = []
                // Counted, not matched against the last one: two recorded ticks can be alike (the
                // same price in the same millisecond), and the wait then ended one early.
                func received() -> Int {
                    live.count + (snapshots.first == expected.first && live.first != expected.first ? 1 : 0)
                }
                while received() < expected.count, let event = try await events.next() {
                    guard case .market(let market) = event, let tick = Tick(market) else { continue }
                    if market.stream == .snapshot { snapshots.append(tick) } else { live.append(tick) }
                }
                let times = { (ticks: [Tick]) in ticks.map(\.timestamp.milliseconds) }
                let seen =
                    "exchange times recorded \(times(expected)), live \(times(live)), snapshots \(times(snapshots))"
                #expect(
                    live == expected || (live == Array(expected.dropFirst()) && snapshots.first == expected.first),
                    "the recorded KRW-BTC tickers, in order, and no KRW-ETH: \(live.count) live, \(snapshots.count) snapshots, \(expected.count) recorded; \(seen)"
                )

                // Subscribing afterwards: the last recorded KRW-ETH ticker, as a snapshot.
                var late = try router.subscribe(to: .ticker, markets: [Self.eth]).makeAsyncIterator()
                var snapshot: MarketEvent?
                while snapshot == nil, let event = try await late.next() {
                    if case .market(let market) = event { snapshot = market }
                }
                #expect(snapshot?.stream == .snapshot)
                #expect(snapshot.flatMap(Tick.init) == recorded.last { $0.market == Self.eth })
            }
        }
    }

    @Test func aWindowPlaysTheEventsReceivedInIt() async throws {
        try await withTemporaryDirectory { directory in
            let file = try await Self.recordTwoMarkets(into: directory, count: 12)
            let decoder = try UpbitExchange(exchange: "mock", logger: quietLogger)
            var all: [MarketEvent] = []
            _ = try await RecordedMarketFeed(venue: decoder, files: [file], speed: .asFastAsPossible)
                .play(into: { all += $0 })
            try #require(all.count >= 12)
            let (from, to) = (all[3].receivedAt, all[all.count - 4].receivedAt)
            let windowed = try RecordedMarketFeed(
                venue: decoder, files: [file], from: from, to: to, speed: .asFastAsPossible)
            var played: [MarketEvent] = []
            let summary = try await windowed.play(into: { played += $0 })
            let expected = all.filter { (from...to).contains($0.receivedAt) }
            #expect(played.map(\.receivedAt) == expected.map(\.receivedAt) && played.count == expected.count)
            #expect(summary.events == expected.count && expected.count < all.count)
            #expect(Set(try windowed.markets()) == [Self.btc, Self.eth])
            // An end before the start is a typed refusal, from every reader of a range, not a trap.
            let backwards = RecordingError.invalidArgument("the time range ends (to) before it starts (from)")
            #expect(throws: backwards) {
                try RecordedMarketFeed(venue: decoder, files: [file], from: to, to: from, speed: .asFastAsPossible)
            }
            #expect(throws: backwards) {
                try ReplayExchange(venue: decoder, files: [file], from: to, to: from, logger: quietLogger)
            }
            #expect(throws: backwards) {
                try RecordingStatistics.collect([file], decoder: decoder, from: to, to: from)
            }
            #expect(throws: backwards) { try RecordingReader(path: file).read(from: to, to: from) { _ in } }
        }
    }

    @Test func aRecordedDropDropsTheClientsThenTheRecordingGoesOn() async throws {
        try await withTemporaryDirectory { directory in
            // A session the mock dropped once, then streamed again; the recording's end is no drop.
            let (decoder, file) = try await RecordedSessionTests.recordMockSession(into: directory)
            let feed = try RecordedMarketFeed(venue: decoder, files: [file], speed: .asFastAsPossible)
            var drops: [RecordedMarketFeed.Drop] = []
            let dry = try await feed.play(into: { _ in }, dropped: { drops.append($0) })
            #expect(dry.drops == 1 && drops.count == 1, "\(drops)")
            #expect(drops.first?.markets == [Self.btc] && drops.first?.shard == 0)

            try await Self.serve(feed) { server, _, live in
                let summary = try await feed.play(
                    into: { events in server.publish(events) },
                    dropped: { drop in server.dropConnections(carrying: drop.markets) })
                #expect(summary.drops == 1)
                // The client's connection dropped where the recorded one did, and was restored.
                var reconnecting = false
                var restored = false
                while !restored, let event = try await live.next() {
                    guard case .connection(let connection) = event else { continue }
                    if case .reconnecting = connection.kind { reconnecting = true }
                    if connection.kind == .restored, reconnecting { restored = true }
                }
                #expect(reconnecting && restored)
            }
        }
    }

    @Test func aRecordedShardsDropDropsOnlyTheClientConnectionsThatCarryItsMarkets() async throws {
        try await withTemporaryDirectory { directory in
            // Ten Binance streams on three connections, one of them dropped by the exchange.
            let (markets, file) = try await ShardedReplayTests.recordShardedSession(into: directory)
            let feed = try RecordedMarketFeed(
                venue: try ShardedReplayTests.binance(), files: [file], speed: .asFastAsPossible)
            var drops: [RecordedMarketFeed.Drop] = []
            _ = try await feed.play(into: { _ in }, dropped: { drops.append($0) })
            try #require(drops.count == 1)
            #expect(!drops[0].markets.isEmpty && drops[0].markets.count < markets.count, "one shard's markets")

            // A client spread over connections as the recorder was (four streams each).
            var configuration = MockExchangeConfiguration()
            configuration.publishedMarkets = try feed.markets()
            configuration.binance.streamsPerConnection = ShardedReplayTests.limit
            let server = MockExchangeServer(configuration: configuration, logger: quietLogger)
            let serving = Task { try await server.run() }
            defer { serving.cancel() }
            let client = try ShardedReplayTests.binance(try await server.endpoint().webSocketBase)
            let router = MarketDataRouter(managers: [client], configuration: replayConfiguration, logger: quietLogger)
            let routing = Task { try await router.run() }
            defer { routing.cancel() }
            let subscriptions = try ShardedReplayTests.subscribe(router, markets: markets)
            await server.waitForSubscriptions { server.binanceConnections().joined().count == 10 }
            let before = Set(server.binanceConnections())
            #expect(before.count == 3)

            let summary = try await feed.play(
                into: { events in server.publish(events) },
                dropped: { drop in server.dropConnections(carrying: drop.markets) })
            #expect(summary.drops == 1)
            // The connection that carried the dropped markets is replaced, with the same streams;
            // the other two stay up.
            await server.waitForSubscriptions {
                Set(server.binanceConnections()) == before && (router.health().channels.first?.reconnects ?? 0) > 0
            }
            let key = try #require(router.health().channels.first?.channel)
            await router.waitForUpstreamSync(on: key)
            let health = try #require(router.health().channels.first)
            #expect(health.reconnects == 1 && health.connections == 3, "\(health)")
            withExtendedLifetime(subscriptions) {}
        }
    }

    @Test func aPaperOrderFillsAtTheRecordedPrice() async throws {
        try await withTemporaryDirectory { directory in
            let file = try await Self.recordTwoMarkets(into: directory, count: 10)
            let decoder = try UpbitExchange(exchange: "mock", logger: quietLogger)
            let feed = try RecordedMarketFeed(venue: decoder, files: [file], speed: .asFastAsPossible)
            var last: Tick?
            _ = try await feed.play { events in
                last = events.compactMap(Tick.init).last { $0.market == Self.btc } ?? last
            }
            let keys = UpbitCredentials(accessKey: "paper-access", secretKey: "paper-secret-key-0123456789")
            var configuration = MockExchangeConfiguration(
                credentials: [MockCredentials(accessKey: keys.accessKey, secretKey: keys.secretKey)])
            configuration.publishedMarkets = try feed.markets()
            let server = MockExchangeServer(configuration: configuration, logger: quietLogger)
            let serving = Task { try await server.run() }
            defer { serving.cancel() }
            _ = try await feed.play { events in server.publish(events) }
            let client = try UpbitExchange(
                configuration: .init(baseURL: try await server.endpoint().webSocketBase, credentials: keys),
                logger: quietLogger)
            // REST quotes the recording's price, and a market buy fills there.
            let quoted = try await client.rest.tickers([Self.btc])
            #expect(quoted.first.flatMap(Tick.init)?.price == last?.price)
            let order = try await client.rest.placeOrder(.marketBuy(Self.btc, funds: 1_000_000))
            #expect(!order.isOpen)
            let accounts = try await client.rest.accounts()
            let bought = try #require(accounts.first { $0.currency == "BTC" }?.balance)
            // At the ask of a book around the recorded price: at most a tick (0.1 %) above it.
            let price = try #require(last?.price)
            let atPrice = try #require(ExactDecimal(1_000_000).divided(by: price, scale: 8))
            let tickAbove = try #require(ExactDecimal(1_000_000).divided(by: price * ExactDecimal("1.001")!, scale: 8))
            #expect(bought <= atPrice && bought >= tickAbove, "\(bought) BTC for 1 000 000 KRW at \(price)")
        }
    }
}
