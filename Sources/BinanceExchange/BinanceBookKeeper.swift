import BinanceWire
import DequeModule
import MarketStreamCore
import Synchronization

/// Keeps each market's whole book from Binance's `@depth@100ms` changes and a REST snapshot,
/// as Binance documents it: changes are held until a snapshot arrives, those it already contains
/// are dropped, the rest are applied in order; a change that does not follow on (a gap) tells
/// subscribers the book is resynchronizing and starts over from a new snapshot.
///
/// Books belong to one connection (``DecodeContext/connection``): a reconnect starts every book
/// afresh. A planned rotation's replacement connection starts from the outgoing connection's
/// book, as if it were a snapshot, so it needs no REST snapshot unless it does not follow on.
final class BinanceBookKeeper: Sendable {
    /// Fetches a market's snapshot (`GET /api/v3/depth`).
    typealias Fetch = @Sendable (MarketCode) async throws -> SequencedOrderbook

    private struct Key: Hashable, Sendable {
        var market: MarketCode
        var connection: UInt64
    }

    private struct Entry: Sendable {
        /// The book, once synchronized.
        var book: SequencedOrderbook?
        /// Changes waiting for a snapshot, oldest first.
        var pending: Deque<SequencedOrderbook.Change> = []
        /// A snapshot that arrived and waits for the next change to be applied with.
        var snapshot: SequencedOrderbook?
        var fetching = false
        /// Whether the entry continues another connection's book (a planned rotation): its first
        /// whole book is an update to subscribers, not a new snapshot.
        var continues = false
        /// After a failed fetch, no new one before this instant.
        var retryAt: ContinuousClock.Instant?
    }

    /// Changes held while a snapshot is fetched; past this many the oldest go (and the snapshot
    /// then cannot connect, so it is fetched again).
    static let pendingLimit = 1_000

    private let entries = Mutex<[Key: Entry]>([:])
    private let fetch: Fetch
    private let exchange: ExchangeID

    init(exchange: ExchangeID, fetch: @escaping Fetch) {
        self.exchange = exchange
        self.fetch = fetch
    }

    /// Takes one change of `market`'s book; appends the book when it is whole and a
    /// `.resynchronizing` control when a gap breaks it.
    func receive(
        _ change: SequencedOrderbook.Change, market: MarketCode, time: UnixTime, context: DecodeContext,
        into output: inout DecodedFrame
    ) {
        let key = Key(market: market, connection: context.connection)
        let (book, first, gap, startFetch) = entries.withLock { entries -> (Orderbook?, Bool, String?, Bool) in
            if entries[key] == nil {
                // Another connection's book of the market (the one this connection replaces)
                // serves as its snapshot.
                let seed = entries.first { $0.key.market == market && $0.value.book != nil }?.value.book
                entries[key] = Entry(snapshot: seed, continues: seed != nil)
            }
            // Changed in place: the held changes are never copied.
            var result = Self.take(change, into: &entries[key]!)
            if result.rebuilt, entries[key]!.continues {
                entries[key]!.continues = false
                result.rebuilt = false
            }
            return result
        }
        if let gap {
            let topic = SubscriptionTopic(exchange: context.exchange, kind: .orderbook, market: market)
            output.controls.append(.resynchronizing(topic, reason: gap))
        }
        if let book {
            output.events.append(
                MarketEvent(
                    exchange: context.exchange, kind: .orderbook, market: market, stream: first ? .snapshot : .realtime,
                    timestamp: time, receivedAt: context.receivedAt, generation: context.generation,
                    payload: .orderbook(book)))
        }
        if startFetch { startFetching(key) }
    }

    /// Applies or holds `change`: the book if it is whole now, whether it was just rebuilt, why it
    /// broke, and whether to fetch a snapshot.
    private static func take(_ change: SequencedOrderbook.Change, into entry: inout Entry)
        -> (book: Orderbook?, rebuilt: Bool, gap: String?, fetch: Bool)
    {
        if var book = entry.book {
            switch book.apply(change) {
            case .applied:
                entry.book = book
                return (book.orderbook(), false, nil, false)
            case .alreadyApplied:
                return (nil, false, nil, false)
            case .gap(let expected, let received):
                entry.book = nil
                entry.pending = [change]
                return (nil, false, "update id \(received) arrived where \(expected) was due", shouldFetch(&entry))
            }
        }
        entry.pending.append(change)
        if entry.pending.count > pendingLimit { entry.pending.removeFirst() }
        if var snapshot = entry.snapshot {
            let pending = entry.pending.drop { $0.lastUpdateID <= snapshot.updateID }
            // Every change so far is in the snapshot: keep it for the next change.
            if pending.isEmpty {
                entry.pending = []
                return (nil, false, nil, false)
            }
            entry.snapshot = nil
            if pending.allSatisfy({ snapshot.apply($0) == .applied }) {
                entry.book = snapshot
                entry.pending = []
                return (snapshot.orderbook(), true, nil, false)
            }
            // The snapshot is older than the first held change, or the held changes have a gap:
            // fetch a newer snapshot.
        }
        return (nil, false, nil, shouldFetch(&entry))
    }

    /// Forgets `market`'s book (its last subscriber left).
    func forget(_ market: MarketCode) {
        entries.withLock { $0 = $0.filter { $0.key.market != market } }
    }

    /// Forgets the books kept from `connection`'s changes (it has closed).
    func forget(connection: UInt64) {
        entries.withLock { $0 = $0.filter { $0.key.connection != connection } }
    }

    /// Whether a fetch should start now, marking it started.
    private static func shouldFetch(_ entry: inout Entry) -> Bool {
        guard !entry.fetching else { return false }
        if let retryAt = entry.retryAt, ContinuousClock.now < retryAt { return false }
        entry.fetching = true
        return true
    }

    private func startFetching(_ key: Key) {
        let fetch = self.fetch
        Task {
            let snapshot: SequencedOrderbook?
            do {
                snapshot = try await fetch(key.market)
            } catch {
                snapshot = nil
            }
            entries.withLock { entries in
                guard var entry = entries[key] else { return }
                entry.fetching = false
                entry.snapshot = snapshot
                // A failed fetch is retried with the next change, a second later at the soonest.
                entry.retryAt = snapshot == nil ? ContinuousClock.now + .seconds(1) : nil
                entries[key] = entry
            }
        }
    }
}
