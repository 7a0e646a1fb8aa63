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
    /// - Parameter namesStreamLimits: Whether the file's header names the four streams a
    ///   connection.
    /// - Returns: The markets subscribed and the recording's path.
    static func recordShardedSession(
        into directory: String, namesStreamLimits: Bool = true
    ) async throws -> ([MarketCode], String) {
        var configuration = MockExchangeConfiguration(marketCount: 6, updatesPerSecond: 40)
        configuration.binance.streamsPerConnection = limit
        var markets: [MarketCode] = []
        let (_, file) = try await recordMockSession(
            into: directory, mock: configuration, venue: binance, namesStreamLimits: namesStreamLimits
        ) { mock, router in
            markets = Array(mock.markets.prefix(5))
            let subscriptions = try subscribe(router, markets: markets)
            var trades = subscriptions[0].makeAsyncIterator()
            await mock.waitForSubscriptions { mock.binanceConnections().joined().count == 10 }
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

    /// Binance's module at its own 1 024 streams a connection.
    static var binanceAtItsOwnLimit: BinanceExchange {
        get throws { try BinanceExchange(configuration: .init(baseURL: "ws://127.0.0.1:1"), logger: quietLogger) }
    }

    /// Replays `file` as fast as possible with the recorded subscriptions, and returns each
    /// subscription's events, in order.
    static func replay(
        _ file: String, markets: [MarketCode], venue: BinanceExchange
    ) async throws -> (events: [[ReplayTests.Seen]], mismatches: Int, shards: Int) {
        let replay = try ReplayExchange(venue: venue, files: [file], logger: quietLogger)
        let connections = MostConnections()
        let events = try await withReplayRouter(replay, subscribing: { try subscribe($0, markets: markets) }) {
            router, subscriptions in
            defer { for subscription in subscriptions { subscription.cancel() } }
            let consumers = subscriptions.map { subscription in
                Task {
                    try await eventsUntilTheEnd(of: subscription) {
                        let open = router.health().channels.first?.connections ?? 0
                        connections.most.max(open, ordering: .relaxed)
                    }
                }
            }
            var events: [[ReplayTests.Seen]] = []
            for consumer in consumers { events.append(try await consumer.value) }
            return events
        }
        return (events, replay.subscriptionMismatches, connections.most.load(ordering: .relaxed))
    }

    /// The events one connection delivers from every frame of `file`, in the recording's order:
    /// each topic's events ordered after the last it delivered, or at it where the key is a
    /// timestamp (a Binance connection drops repeats, and without the recorded drops nothing
    /// starts it afresh).
    static func eventsOneConnectionAdmits(_ file: String, venue: BinanceExchange) throws -> Int {
        var marks: [SubscriptionTopic: Int64] = [:]
        var admitted = 0
        var output = DecodedFrame()
        try RecordingReader(path: file).read { record in
            guard record.kind == .frame else { return }
            output.removeAll()
            let context = DecodeContext(
                exchange: venue.exchange, channel: .public, generation: ConnectionGeneration(1),
                receivedAt: record.receivedAt)
            try? venue.decode(record.message, context: context, into: &output)
            for event in output.events {
                let key = event.orderingKey
                if let mark = marks[event.topic], key < mark || (key == mark && event.orderingKeyIsUnique) { continue }
                marks[event.topic] = event.orderingKey
                admitted += 1
            }
        }
        return admitted
    }

    /// Events per kind and market that a replay's count differs by from the recording's.
    static func difference(
        _ statistics: RecordingStatistics, _ replayed: some Sequence<ReplayTests.Seen>
    ) -> [String: Int] {
        var difference = statistics.events
        for event in replayed { difference["\(event.kind) \(event.market)", default: 0] -= 1 }
        return difference.filter { $0.value != 0 }
    }

    @Test func eachShardIsRecordedAndReplayedToItsOwnConnectionTheSameEveryTime() async throws {
        try await withTemporaryDirectory { directory in
            let (markets, file) = try await Self.recordShardedSession(into: directory)
            // Every record names its shard; the drop is one shard's alone.
            var shards: Set<UInt8> = []
            var dropped: [UInt8] = []
            try RecordingReader(path: file).read { record in
                shards.insert(record.shard)
                if record.kind == .disconnected { dropped.append(record.shard) }
            }
            #expect(shards == [0, 1, 2])
            // The mock numbers connections in the order they opened, which varies: one shard's.
            #expect(dropped.count == 1, "only one connection was dropped: \(dropped)")
            let statistics = try RecordingStatistics.collect([file], decoder: try Self.binance())
            let recordedEvents = statistics.events.values.reduce(0, +)
            #expect(statistics.shards == 3 && statistics.reconnects == 1)
            #expect(statistics.description.contains("reconnects: 1, records missing: 0, over 3 connections (shards)"))

            let first = try await Self.replay(file, markets: markets, venue: try Self.binance())
            let second = try await Self.replay(file, markets: markets, venue: try Self.binance())
            #expect(first.events == second.events, "deterministic")
            #expect(first.mismatches == 0, "each shard's router connection subscribed as recorded on that shard")
            #expect(first.shards == 3, "the router opened the three connections recorded")
            let replayed = first.events.joined()
            #expect(
                replayed.count == recordedEvents,
                "every recorded event, once: \(Self.difference(statistics, replayed))")
            #expect(Set(replayed.map(\.market)) == Set(markets))
            let generations = Set(replayed.map(\.generation))
            #expect(generations.count == 2, "the shard's recorded drop is a reconnect: \(generations)")
            for events in first.events {
                let stamps = events.map(\.receivedAt.nanoseconds)
                #expect(stamps == stamps.sorted(), "in the recording's order")
            }
        }
    }

    @Test func aReplaySpreadsTheSetAsTheRecordingsHeaderSaysWhateverTheModulesLimit() async throws {
        try await withTemporaryDirectory { directory in
            let (markets, file) = try await Self.recordShardedSession(into: directory)
            #expect(try RecordingReader(path: file).header.streamsPerConnection == ["public": Self.limit])
            let asRecorded = try await Self.replay(file, markets: markets, venue: try Self.binance())
            // The module allows 1 024 streams a connection; the replay's channel carries the
            // recorded four, so its router opens the recorded three connections.
            let atItsOwn = try await Self.replay(file, markets: markets, venue: try Self.binanceAtItsOwnLimit)
            #expect(atItsOwn.events == asRecorded.events)
            #expect(atItsOwn.shards == 3 && atItsOwn.mismatches == 0)
        }
    }

    @Test func aRouterThatSpreadsTheSetOverFewerConnectionsStillGetsEveryEventAndIsWarned() async throws {
        try await withTemporaryDirectory { directory in
            // A file whose header names no limit: the module's 1 024 counts, one connection.
            let (markets, file) = try await Self.recordShardedSession(into: directory, namesStreamLimits: false)
            #expect(try RecordingReader(path: file).header.streamsPerConnection == nil)
            let statistics = try RecordingStatistics.collect([file], decoder: try Self.binance())
            let replayed = try await Self.replay(file, markets: markets, venue: try Self.binanceAtItsOwnLimit)
            #expect(replayed.mismatches > 0, "the difference is noted")
            #expect(replayed.shards == 1)
            // Every shard's frames reach the one connection, which delivers what it admits.
            let admitted = try Self.eventsOneConnectionAdmits(file, venue: try Self.binance())
            #expect(replayed.events.joined().count == admitted)
            #expect(admitted >= statistics.events.values.reduce(0, +) - Self.limit, "at most a repeat a stream")
            #expect(Set(replayed.events.joined().map(\.market)) == Set(markets))
        }
    }
}

/// The most connections a replay's router had open while it delivered.
private final class MostConnections: Sendable {
    let most = Atomic<Int>(0)
}
