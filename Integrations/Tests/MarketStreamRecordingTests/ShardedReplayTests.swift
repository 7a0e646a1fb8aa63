import BinanceExchange
import Foundation
import MarketStreamCore
import MarketStreamRecording
import MarketStreamRouting
import MockExchange
import Synchronization
import Testing

/// A channel spread over several connections (shards), recorded and replayed: each shard's
/// frames go to the router's connection of the same shard, and a shard's recorded drop is that
/// shard's reconnect.
@Suite(.timeLimit(.minutes(1))) struct ShardedReplayTests {
    /// Streams a connection carries, on the mock and the client alike.
    static let limit = 4

    /// Five markets' trades and tickers: ten streams, three connections.
    static func subscribe(_ router: MarketDataRouter, markets: [MarketCode]) throws -> [Subscription] {
        [try router.subscribe(to: .trade, markets: markets), try router.subscribe(to: .ticker, markets: markets)]
    }

    /// Binance's module at four streams a connection, reaching `base` (the mock's).
    static func binance(_ base: String = "ws://127.0.0.1:1") throws -> BinanceExchange {
        try BinanceExchange(
            configuration: .init(baseURL: base + "/binance", streamsPerConnection: limit), logger: quietLogger)
    }

    /// Records a Binance session on the mock over loopback: ten streams on three connections,
    /// every market streaming, then one connection dropped by the exchange, then every market
    /// streaming again.
    /// - Returns: The markets subscribed and the recording's path.
    static func recordShardedSession(into directory: String) async throws -> ([MarketCode], String) {
        var configuration = MockExchangeConfiguration(marketCount: 6, updatesPerSecond: 40)
        configuration.binance.streamsPerConnection = limit
        var markets: [MarketCode] = []
        let (_, file) = try await recordMockSession(into: directory, mock: configuration, venue: binance) {
            mock, router in
            markets = Array(mock.markets.prefix(5))
            let subscriptions = try subscribe(router, markets: markets)
            var trades = subscriptions[0].makeAsyncIterator()
            try await waitUntil { mock.binanceConnections().joined().count == 10 }
            // Every market trades on its connection, then the exchange drops one connection, then
            // every market trades again on a later generation.
            var first: ConnectionGeneration?
            var before: Set<MarketCode> = []
            var after: Set<MarketCode> = []
            var droppedOne = false
            while after.count < markets.count, let event = try await trades.next() {
                guard case .market(let trade) = event else { continue }
                if first == nil { first = trade.generation }
                if trade.generation == first {
                    before.insert(trade.market)
                    if before.count == markets.count && !droppedOne {
                        mock.dropBinanceConnection(at: 1)
                        droppedOne = true
                    }
                } else {
                    after.insert(trade.market)
                }
            }
            withExtendedLifetime(subscriptions) {}
        }
        return (markets, file)
    }

    /// Replays `file` as fast as possible with the recorded subscriptions, and returns each
    /// subscription's events, in order.
    static func replay(
        _ file: String, markets: [MarketCode]
    ) async throws -> (events: [[ReplayTests.Seen]], mismatches: Int, shards: Int) {
        let replay = try ReplayExchange(venue: try binance(), files: [file], logger: quietLogger)
        let router = MarketDataRouter(
            managers: [replay], configuration: replayConfiguration, clock: replay.routerClock,
            wallClock: replay.wallClock, logger: quietLogger)
        let driving = Task { try await replay.run() }
        let routing = Task { try await router.run() }
        let connections = MostConnections()
        var consumers: [Task<[ReplayTests.Seen], any Error>] = []
        let subscriptions = try subscribe(router, markets: markets)
        for subscription in subscriptions {
            consumers.append(
                Task {
                    var seen: [ReplayTests.Seen] = []
                    for try await event in subscription {
                        if ReplayExchange.isEnd(event) { break }
                        guard case .market(let market) = event else { continue }
                        let open = router.health().channels.first?.connections ?? 0
                        connections.most.max(open, ordering: .relaxed)
                        seen.append(
                            ReplayTests.Seen(
                                kind: market.kind, market: market.market, timestamp: market.timestamp,
                                receivedAt: market.receivedAt, generation: market.generation))
                    }
                    return seen
                })
        }
        var events: [[ReplayTests.Seen]] = []
        for consumer in consumers { events.append(try await consumer.value) }
        for subscription in subscriptions { subscription.cancel() }
        routing.cancel()
        driving.cancel()
        _ = await routing.result
        _ = await driving.result
        return (events, replay.subscriptionMismatches, connections.most.load(ordering: .relaxed))
    }

    @Test func eachShardIsRecordedAndReplayedToItsOwnConnectionTheSameEveryTime() async throws {
        try await withTemporaryDirectory { directory in
            let (markets, file) = try await Self.recordShardedSession(into: directory)
            // Every record names its shard; the drop is the second shard's alone.
            var shards: Set<UInt8> = []
            var dropped: [UInt8] = []
            var frames: [UInt8: [Int64]] = [:]
            try RecordingReader(path: file).read { record in
                shards.insert(record.shard)
                if record.kind == .disconnected { dropped.append(record.shard) }
                if record.kind == .frame { frames[record.shard, default: []].append(record.receivedAt.nanoseconds) }
            }
            #expect(shards == [0, 1, 2])
            // The mock numbers connections in the order they opened, which varies: one shard's.
            #expect(dropped.count == 1, "only one connection was dropped: \(dropped)")
            let statistics = try RecordingStatistics.collect([file], decoder: try Self.binance())
            let recordedEvents = statistics.events.values.reduce(0, +)
            #expect(statistics.shards == 3 && statistics.reconnects == 1)
            #expect(statistics.description.contains("reconnects: 1, records missing: 0, over 3 connections (shards)"))

            let first = try await Self.replay(file, markets: markets)
            let second = try await Self.replay(file, markets: markets)
            #expect(first.events == second.events, "deterministic")
            #expect(first.mismatches == 0, "each shard's router connection subscribed as recorded on that shard")
            #expect(first.shards == 3, "the router opened the three connections recorded")
            let replayed = first.events.joined()
            #expect(replayed.count == recordedEvents, "every recorded event, once")
            #expect(Set(replayed.map(\.market)) == Set(markets))
            let generations = Set(replayed.map(\.generation))
            #expect(generations.count == 2, "the shard's recorded drop is a reconnect: \(generations)")
            for events in first.events {
                let stamps = events.map(\.receivedAt.nanoseconds)
                #expect(stamps == stamps.sorted(), "in the recording's order")
            }
        }
    }

    @Test func aRouterThatSpreadsTheSetOverFewerConnectionsStillGetsEveryEventAndIsWarned() async throws {
        try await withTemporaryDirectory { directory in
            let (markets, file) = try await Self.recordShardedSession(into: directory)
            let statistics = try RecordingStatistics.collect([file], decoder: try Self.binance())
            // Binance's own 1 024 streams a connection: the replay's router opens one connection.
            let replay = try ReplayExchange(
                venue: try BinanceExchange(configuration: .init(baseURL: "ws://127.0.0.1:1"), logger: quietLogger),
                files: [file], logger: quietLogger)
            let router = MarketDataRouter(
                managers: [replay], configuration: replayConfiguration, clock: replay.routerClock,
                wallClock: replay.wallClock, logger: quietLogger)
            let driving = Task { try await replay.run() }
            let routing = Task { try await router.run() }
            let subscriptions = try Self.subscribe(router, markets: markets)
            var count = 0
            for subscription in subscriptions {
                for try await event in subscription {
                    if ReplayExchange.isEnd(event) { break }
                    if case .market = event { count += 1 }
                }
            }
            #expect(replay.subscriptionMismatches > 0, "the difference is noted")
            #expect(count == statistics.events.values.reduce(0, +), "every shard's frames reach the one connection")
            for subscription in subscriptions { subscription.cancel() }
            routing.cancel()
            driving.cancel()
            _ = await routing.result
            _ = await driving.result
        }
    }
}

/// The most connections a replay's router had open while it delivered.
private final class MostConnections: Sendable {
    let most = Atomic<Int>(0)
}
