import BinanceExchange
import MarketStreamCore
import MarketStreamRouting
import MockExchange
import Testing

/// Planned rotation against the mock's Binance dialect with a connection lifetime of seconds:
/// each connection is replaced before the venue closes it, and subscribers see no reconnect, no
/// gap and no duplicate.
@Suite(.timeLimit(.minutes(2))) struct BinanceRotationTests {
    let btc = MarketCode(validated: "USDT-BTC")
    /// The client's connection lifetime: replaced 4 s after connecting.
    static let lifetime = Duration.seconds(8)
    /// The mock closes connections only after a minute (see the first test).
    static let mock = MockExchangeConfiguration(
        marketCount: 1, updatesPerSecond: 100, binance: MockBinanceSettings(connectionLifetime: .seconds(60)))

    @Test func connectionsAreReplacedBeforeTheirLifetimeEndsWithoutAGapOrADuplicate() async throws {
        // The client starts a replacement 4 s after connecting (half the lifetime early, at most
        // 10 minutes), watches the overlap for 500 ms and takes over once every flowing topic
        // overlaps. The mock closes connections only after a minute here, so that on a loaded
        // machine (a connect can take seconds while the whole suite runs) the test shows the
        // handover itself; `RotationScheduleTests` shows when it starts.
        let (lifetime, mock) = (Self.lifetime, Self.mock)
        try await withBinanceAgainstMock(mock, connectionLifetime: lifetime) { server, router in

            let trades = try router.subscribe(to: .trade, markets: [btc])
            let books = try router.subscribe(to: .orderbook, markets: [btc])
            let overlapped = ResyncFlag()
            // Watches the mock: during a rotation both connections carry the streams.
            let watcher = Task {
                while !Task.isCancelled {
                    if server.binanceConnections().count == 2 { overlapped.set() }
                    try? await Task.sleep(for: .milliseconds(5))
                }
            }
            defer { watcher.cancel() }
            // Two rotations take about 9 s (more on a loaded machine).
            let rotatedTwice: @Sendable () -> Bool = { (router.health().channels.first?.rotations ?? 0) >= 2 }
            async let tradeLog = collect(trades, until: rotatedTwice)
            async let bookLog = collect(books, until: rotatedTwice)
            let (tradeEvents, tradeNotices) = try await tradeLog
            let (bookEvents, bookNotices) = try await bookLog

            let health = try #require(router.health().channels.first)
            #expect(health.rotations >= 2)
            #expect(health.rotationsWithoutOverlap == 0)
            #expect(health.reconnects == 0 && health.generation.rawValue == 1, "a rotation is not a reconnect")
            #expect(overlapped.isSet, "the replacement is opened before the old one closes")
            #expect(tradeNotices.isEmpty && bookNotices.isEmpty, "\(tradeNotices + bookNotices)")

            // The mock numbers each market's trades: id % 10 000 counts up by one per trade.
            let ids = tradeEvents.compactMap { event -> Int64? in
                guard case .trade(let trade) = event.payload else { return nil }
                return trade.id
            }
            #expect(ids.count > 20)
            let pairs = zip(ids, ids.dropFirst())
            #expect(pairs.allSatisfy { $0 < $1 }, "no duplicate and no trade out of order")
            let gaps = pairs.filter { ($0 % 10_000 + 1) % 10_000 != $1 % 10_000 }
            #expect(gaps.isEmpty, "missing trades between \(gaps.prefix(3))")

            // The whole book keeps going across rotations: one snapshot, then updates in order.
            let sequences = bookEvents.compactMap { event -> Int64? in
                guard case .orderbook(let book) = event.payload else { return nil }
                return book.sequence
            }
            #expect(bookEvents.filter { $0.stream == .snapshot }.count == 1)
            #expect(zip(sequences, sequences.dropFirst()).allSatisfy { $0 < $1 })
            #expect(bookEvents.allSatisfy { $0.generation.rawValue == 1 })
        }
    }
}

extension BinanceRotationTests {
    @Test func aReplacementThatCannotConnectLeavesTheCurrentConnectionDelivering() async throws {
        let (lifetime, mock) = (Self.lifetime, Self.mock)
        try await withBinanceAgainstMock(mock, connectionLifetime: lifetime) { server, router in
            let trades = try router.subscribe(to: .trade, markets: [btc])
            let health = { @Sendable in router.health().channels.first }
            try await waitUntil { server.binanceConnections() == [["btcusdt@trade"]] }
            // Every replacement is refused from now on: the replacement is due 4 s after connecting
            // and retried every half second.
            server.setFaults(MockFaults(refuseConnections: true))
            let refusedFor = ContinuousClock.now + .seconds(6)
            async let log = collect(trades) {
                if ContinuousClock.now >= refusedFor, server.faults.refuseConnections {
                    server.setFaults(MockFaults())
                }
                return (health()?.rotations ?? 0) >= 1
            }
            let (events, notices) = try await log
            let final = try #require(health())
            #expect(final.rotations == 1 && final.reconnects == 0 && final.generation.rawValue == 1)
            #expect(notices.isEmpty, "the failed replacements were never the subscribers' concern: \(notices)")
            let ids = events.compactMap { event -> Int64? in
                guard case .trade(let trade) = event.payload else { return nil }
                return trade.id
            }
            // The current connection kept delivering while its replacements were refused (at least
            // six seconds at 100 updates a second; the bound leaves room for a starved machine).
            #expect(ids.count >= 10)
            let pairs = zip(ids, ids.dropFirst())
            #expect(pairs.allSatisfy { $0 < $1 })
            #expect(pairs.allSatisfy { ($0 % 10_000 + 1) % 10_000 == $1 % 10_000 })
        }
    }
}

/// The market events and connection notices `subscription` yields until `done` (polled).
private func collect(_ subscription: Subscription, until done: @escaping @Sendable () -> Bool) async throws
    -> ([MarketEvent], [ConnectionEvent])
{
    try await withThrowingTaskGroup(of: ([MarketEvent], [ConnectionEvent]).self) { group in
        group.addTask {
            var events: [MarketEvent] = []
            var notices: [ConnectionEvent] = []
            for try await item in subscription {
                switch item {
                case .market(let event): events.append(event)
                case .connection(let notice): notices.append(notice)
                }
            }
            return (events, notices)
        }
        while !done() { try await Task.sleep(for: .milliseconds(50)) }
        subscription.cancel()
        let result = try await group.next() ?? ([], [])
        group.cancelAll()
        return result
    }
}
