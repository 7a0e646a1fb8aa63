import BinanceExchange
import BinanceWire
import MarketStreamCore
import MarketStreamRouting
import MockExchange
import Synchronization
import Testing

/// A channel whose set is larger than one connection may carry runs on several (the mock and the
/// client both allow four streams a connection here; Binance allows 1 024).
@Suite(.serialized) struct BinanceShardingTests {
    static let limit = 4

    static var mock: MockExchangeConfiguration {
        var configuration = MockExchangeConfiguration(marketCount: 6, updatesPerSecond: 200)
        configuration.binance.streamsPerConnection = limit
        return configuration
    }

    /// The channel's health once every change has gone upstream (the mock sees a request before
    /// the router has recorded it as sent).
    static func syncedHealth(_ router: MarketDataRouter) async throws -> ChannelHealth {
        let key = try #require(router.health().channels.first?.channel)
        await router.waitForUpstreamSync(on: key)
        return try #require(router.health().channels.first)
    }

    @Test func aSetPastOneConnectionIsSpreadOverBalancedConnectionsAndEveryMarketFlows() async throws {
        try await withBinanceAgainstMock(Self.mock, streamsPerConnection: Self.limit) { server, router in
            let markets = Array(server.markets.prefix(5))
            let trades = try router.subscribe(to: .trade, markets: markets)
            let tickers = try router.subscribe(to: .ticker, markets: markets)
            let expected = Set(
                markets.flatMap {
                    [BinanceStream(market: $0, kind: .trade).name, BinanceStream(market: $0, kind: .ticker).name]
                })
            // Ten streams, four a connection: three connections, none over the limit, a market's
            // streams on one connection.
            await server.waitForSubscriptions { Set(server.binanceConnections().joined()) == expected }
            let connections = server.binanceConnections()
            #expect(connections.count == 3 && connections.allSatisfy { $0.count <= Self.limit })
            #expect(connections.map(\.count).sorted() == [2, 4, 4], "\(connections)")
            for connection in connections {
                let symbols = Set(connection.map { $0.split(separator: "@")[0] })
                #expect(symbols.count * 2 == connection.count, "a market's two streams share a connection")
            }
            let health = try await Self.syncedHealth(router)
            #expect(health.connections == 3 && health.upstreamTopics == 10 && health.state == .streaming, "\(health)")

            // Every market's trades arrive, whichever connection carries them.
            #expect(try await marketsDelivering(trades, until: markets.count) == Set(markets))
            withExtendedLifetime(tickers) {}
        }
    }

    @Test func moreThanBinancesOwnLimitOfStreamsRunsOnTwoConnections() async throws {
        // Binance's 1 024 streams a connection, on the mock and the client alike.
        try await withBinanceAgainstMock(MockExchangeConfiguration(marketCount: 600, updatesPerSecond: 50)) {
            server, router in
            let markets = server.markets
            #expect(markets.count > 512)
            let trades = try router.subscribe(to: .trade, markets: markets)
            let tickers = try router.subscribe(to: .ticker, markets: markets)
            let streams = markets.count * 2
            await server.waitForSubscriptions { server.binanceConnections().joined().count == streams }
            let counts = server.binanceConnections().map(\.count)
            #expect(counts.count == 2 && counts.allSatisfy { $0 <= 1_024 } && abs(counts[0] - counts[1]) <= 2)
            let health = try await Self.syncedHealth(router)
            #expect(health.connections == 2 && health.upstreamTopics == streams)
            withExtendedLifetime((trades, tickers)) {}
        }
    }

    @Test func aDroppedShardReconnectsAloneAndTheOthersKeepTheirConnections() async throws {
        try await withBinanceAgainstMock(Self.mock, streamsPerConnection: Self.limit) { server, router in
            let markets = Array(server.markets.prefix(5))
            let trades = try router.subscribe(to: .trade, markets: markets)
            let tickers = try router.subscribe(to: .ticker, markets: markets)
            await server.waitForSubscriptions { server.binanceConnections().joined().count == 10 }
            let before = server.binanceConnections()
            server.dropBinanceConnection(at: 1)
            // The dropped connection's streams come back on a new connection (the last in order);
            // the other two connections are the same ones, with the same streams.
            await server.waitForSubscriptions {
                let now = server.binanceConnections()
                return now.count == 3 && now[0] == before[0] && now[1] == before[2] && now[2] == before[1]
            }
            let health = try await Self.syncedHealth(router)
            #expect(health.reconnects == 1 && health.connections == 3 && health.upstreamTopics == 10)
            // The shards opened for the growing set joined generation 1; the replacement is 2.
            #expect(health.generation == ConnectionGeneration(2))

            // Subscribers are told, and after the restore no event of an older generation arrives.
            var restored: ConnectionGeneration?
            var seenAfter: Set<MarketCode> = []
            var iterator = trades.makeAsyncIterator()
            while seenAfter.count < markets.count, let item = try await iterator.next() {
                switch item {
                case .connection(let change):
                    if case .restored = change.kind {
                        restored = change.generation
                        // Told once the dropped connection's streams are up again too.
                        #expect(Set(server.binanceConnections().joined()).count == 10)
                    }
                case .market(let event):
                    guard let restored else { continue }
                    #expect(event.generation >= restored)
                    seenAfter.insert(event.market)
                }
            }
            #expect(restored == ConnectionGeneration(2) && seenAfter == Set(markets))
            withExtendedLifetime(tickers) {}
        }
    }

    @Test func aSetThatGrowsAndShrinksKeepsEveryConnectionWithinTheLimitAndDeliversEachEventOnce() async throws {
        try await withBinanceAgainstMock(Self.mock, streamsPerConnection: Self.limit) { server, router in
            let markets = Array(server.markets.prefix(4))
            let trades = try router.subscribe(to: .trade, markets: markets)
            await server.waitForSubscriptions { server.binanceConnections().joined().count == 4 }
            #expect(server.binanceConnections().count == 1, "four streams fit one connection")
            // Trades are collected from before the move on: the mock numbers them, so each must
            // arrive once (a moved market's two connections may overlap for a moment; only the one
            // it moved to delivers it).
            async let collected: [MarketCode: [Int64]] = {
                var ids: [MarketCode: [Int64]] = [:]
                var iterator = trades.makeAsyncIterator()
                while ids.values.map(\.count).reduce(0, +) < 400, let item = try await iterator.next() {
                    if case .market(let event) = item, case .trade(let trade) = event.payload {
                        ids[event.market, default: []].append(trade.id)
                    }
                }
                return ids
            }()
            // Tickers too: every market's two streams must share a connection, so markets move.
            let tickers = try router.subscribe(to: .ticker, markets: markets)
            await server.waitForSubscriptions {
                let connections = server.binanceConnections()
                return connections.joined().count == 8 && connections.allSatisfy { $0.count <= Self.limit }
            }
            #expect(server.binanceConnections().map(\.count) == [4, 4])
            for (market, list) in try await collected {
                #expect(Set(list).count == list.count, "a trade of \(market) arrived twice")
            }
            // Tickers leave: four streams are left, and no connection carries more than its share.
            tickers.cancel()
            await server.waitForSubscriptions { server.binanceConnections().joined().count == 4 }
            #expect(server.binanceConnections().allSatisfy { $0.count <= Self.limit })
            #expect(try await Self.syncedHealth(router).upstreamTopics == 4)
        }
    }

    @Test func eachShardIsRotatedOnItsOwnWithoutAReconnect() async throws {
        var mock = Self.mock
        mock.binance.connectionLifetime = .seconds(60)
        try await withBinanceAgainstMock(mock, connectionLifetime: .seconds(8), streamsPerConnection: Self.limit) {
            server, router in
            let markets = Array(server.markets.prefix(3))
            let trades = try router.subscribe(to: .trade, markets: markets)
            let tickers = try router.subscribe(to: .ticker, markets: markets)
            await server.waitForSubscriptions { server.binanceConnections().joined().count == 6 }
            let before = server.binanceConnections()
            #expect(before.count == 2)
            // Both connections are replaced 4 s after they opened, make-before-break.
            try await waitUntil { (router.health().channels.first?.rotations ?? 0) >= 2 }
            await server.waitForSubscriptions { server.binanceConnections().count == 2 }
            let health = try await Self.syncedHealth(router)
            #expect(health.reconnects == 0 && health.generation == ConnectionGeneration(1))
            #expect(health.connections == 2 && health.upstreamTopics == 6)
            #expect(Set(server.binanceConnections()) == Set(before), "the same streams on the replacements")
            // Trades keep arriving from every market after the rotations.
            #expect(try await marketsDelivering(trades, until: markets.count) == Set(markets))
            withExtendedLifetime(tickers) {}
        }
    }
}

extension BinanceShardingTests {
    /// The shard each tapped frame and connection named.
    final class ShardTap: FrameTap, Sendable {
        struct Seen: Sendable {
            var opened: [Int] = []
            var marketsByShard: [Int: Set<MarketCode>] = [:]
        }
        let seen = Mutex(Seen())

        func frameReceived(_ frame: WebSocketMessage, events: [MarketEvent], context: DecodeContext) {
            seen.withLock { seen in
                for event in events { seen.marketsByShard[context.shard, default: []].insert(event.market) }
            }
        }
        func connectionOpened(context: DecodeContext) { seen.withLock { $0.opened.append(context.shard) } }
        func messageSent(_ message: OutboundMessage, context: DecodeContext) {}
        func connectionClosed(reason: String, context: DecodeContext) {}
    }

    @Test func eachFrameAndConnectionNamesItsShardToTheTap() async throws {
        let tap = ShardTap()
        try await withBinanceAgainstMock(Self.mock, streamsPerConnection: Self.limit, frameTap: tap) { server, router in
            let markets = Array(server.markets.prefix(5))
            let trades = try router.subscribe(to: .trade, markets: markets)
            let tickers = try router.subscribe(to: .ticker, markets: markets)
            await server.waitForSubscriptions { server.binanceConnections().joined().count == 10 }
            // Settled: from now on each market's frames come on the one connection carrying it.
            tap.seen.withLock { $0.marketsByShard = [:] }
            #expect(try await marketsDelivering(trades, until: markets.count) == Set(markets))
            let seen = tap.seen.withLock { $0 }
            #expect(Set(seen.opened) == [0, 1, 2], "a recorder can tell the three connections apart")
            let shards = seen.marketsByShard
            #expect(Set(shards.keys) == [0, 1, 2], "every connection carries a market")
            #expect(shards.values.reduce(0) { $0 + $1.count } == Set(shards.values.joined()).count, "\(shards)")
            withExtendedLifetime(tickers) {}
        }
    }
}

/// The markets whose events `subscription` delivers, once `count` of them have.
private func marketsDelivering(_ subscription: Subscription, until count: Int) async throws -> Set<MarketCode> {
    var seen: Set<MarketCode> = []
    var iterator = subscription.makeAsyncIterator()
    while seen.count < count, let item = try await iterator.next() {
        if case .market(let event) = item { seen.insert(event.market) }
    }
    return seen
}
