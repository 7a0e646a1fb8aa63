import BinanceExchange
import BinanceWire
import MarketStreamCore
import MarketStreamRouting
import MockExchange
import Synchronization
import Testing

/// The whole book kept from `@depth@100ms` changes and a REST snapshot, against the mock's
/// Binance dialect; the market moves only when the test advances it.
@Suite(.timeLimit(.minutes(1))) struct BinanceLocalBookTests {
    let btc = MarketCode(validated: "USDT-BTC")
    static let still = MockExchangeConfiguration(marketCount: 1, updatesPerSecond: 0)

    /// Advances the mock until `iterator` yields a book event that `matches`; returns it. One
    /// iterator serves a subscription throughout: an iterator let go drops the batch it took.
    func nextBook(
        _ iterator: inout Subscription.Iterator, server: MockExchangeServer,
        where matches: (MarketEvent) -> Bool = { _ in true }, seen: ((ConnectionEvent) -> Void)? = nil
    ) async throws -> MarketEvent? {
        let advancing = Task {
            while !Task.isCancelled {
                server.advanceMarket(steps: 3)
                try? await Task.sleep(for: .milliseconds(20))
            }
        }
        defer { advancing.cancel() }
        while let item = try await iterator.next() {
            if case .connection(let change) = item { seen?(change) }
            if case .market(let event) = item, case .orderbook = event.payload, matches(event) { return event }
        }
        return nil
    }

    @Test func theWholeBookFollowsTheSnapshotAndEqualsTheVenuesBook() async throws {
        try await withBinanceAgainstMock(Self.still) { server, router in
            var books = try router.subscribe(to: .orderbook, markets: [btc]).makeAsyncIterator()
            try await waitUntil { server.binanceConnections() == [["btcusdt@depth@100ms"]] }
            let first = try #require(try await nextBook(&books, server: server))
            #expect(first.stream == .snapshot, "the first whole book is the snapshot brought up to date")
            guard case .orderbook(let synced) = first.payload else { return }
            let start = try #require(synced.sequence)
            // Later books follow on, each a realtime update with a larger id.
            let later = try #require(try await nextBook(&books, server: server) { $0.stream == .realtime })
            guard case .orderbook(let book) = later.payload else { return }
            #expect((book.sequence ?? 0) > start && book.units.count == 30)
            // With the market still, the kept book is the venue's book at the same id.
            let endpoint = try await server.endpoint()
            let client = try BinanceExchange(
                configuration: .init(baseURL: endpoint.webSocketBase + "/binance"), logger: quietLogger)
            let venue = try await client.depth(of: btc, levels: 1_000)
            #expect(venue.updateID >= book.sequence ?? 0)
            // The market is still now: the client's book reaches the venue's id and equals it.
            var current = book
            while current.sequence != venue.updateID, let item = try await books.next() {
                if case .market(let event) = item, case .orderbook(let next) = event.payload { current = next }
            }
            #expect(current.sequence == venue.updateID)
            #expect(venue.orderbook().units == current.units && current.units.count == 30)
        }
    }

    @Test func aGapTellsSubscribersAndTheBookIsRebuiltFromANewSnapshot() async throws {
        try await withBinanceAgainstMock(Self.still) { server, router in
            var books = try router.subscribe(to: .orderbook, markets: [btc]).makeAsyncIterator()
            var five = try router.subscribe(to: .orderbook(depth: .five), markets: [btc]).makeAsyncIterator()
            let first = try #require(try await nextBook(&books, server: server))
            guard case .orderbook(let synced) = first.payload else { return }
            server.injectBinanceSequenceGap()
            let told = ResyncFlag()
            let rebuilt = try #require(
                try await nextBook(&books, server: server, where: { $0.stream == .snapshot }) { change in
                    if case .resynchronizing(let topic, let reason) = change.kind, topic.market == btc,
                        reason.contains("arrived where")
                    {
                        told.set()
                    }
                })
            #expect(told.isSet, "subscribers hear of the resynchronization before the new book")
            guard case .orderbook(let book) = rebuilt.payload else { return }
            #expect((book.sequence ?? 0) > (synced.sequence ?? 0) && book.units.count == 30)
            // A depth subscriber reads its cut of the same kept book.
            let cut = try #require(try await nextBook(&five, server: server))
            guard case .orderbook(let top) = cut.payload else { return }
            #expect(top.units.count == 5 && cut.kind == .orderbook(depth: .five))
            let health = try #require(router.health().channels.first)
            #expect(health.malformedFrames == 0)
        }
    }

    @Test func theStreamFollowsWhatIsWanted() async throws {
        try await withBinanceAgainstMock(Self.still) { server, router in
            let five = try router.subscribe(to: .orderbook(depth: .five), markets: [btc])
            try await waitUntil { server.binanceConnections() == [["btcusdt@depth20@100ms"]] }
            let whole = try router.subscribe(to: .orderbook, markets: [btc])
            try await waitUntil { server.binanceConnections() == [["btcusdt@depth@100ms"]] }
            whole.cancel()
            try await waitUntil { server.binanceConnections() == [["btcusdt@depth20@100ms"]] }
            five.cancel()
            try await waitUntil { server.binanceConnections() == [[]] }
        }
    }

    @Test func theScheduledGapFaultIsRecoveredFromEveryTime() async throws {
        var configuration = MockExchangeConfiguration(marketCount: 1, updatesPerSecond: 100)
        configuration.faults.binanceGapEvery = .milliseconds(300)
        try await withBinanceAgainstMock(configuration) { _, router in
            let books = try router.subscribe(to: .orderbook, markets: [btc])
            var resyncs = 0
            var rebuilt = 0
            var lastSequence: Int64 = 0
            for try await item in books {
                switch item {
                case .connection(let change):
                    if case .resynchronizing = change.kind { resyncs += 1 }
                case .market(let event):
                    guard case .orderbook(let book) = event.payload, let sequence = book.sequence else { continue }
                    #expect(sequence > lastSequence, "books move forward, never back")
                    lastSequence = sequence
                    if event.stream == .snapshot { rebuilt += 1 }
                }
                if resyncs >= 2 && rebuilt >= 3 { break }
            }
            #expect(resyncs >= 2 && rebuilt >= 3, "the first book and one per gap")
        }
    }
}

/// A flag set from a callback.
final class ResyncFlag: Sendable {
    private let value = Mutex(false)
    func set() { value.withLock { $0 = true } }
    var isSet: Bool { value.withLock { $0 } }
}
