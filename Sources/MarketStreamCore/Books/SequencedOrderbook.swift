/// A whole order book kept from a snapshot and the venue's numbered changes to it, as Binance
/// documents ("How to manage a local order book correctly") and other venues number theirs: a
/// change carries the first and last update ids it covers, the first change applied must
/// straddle the snapshot's id, and every later one must begin right after the previous one ended.
///
/// A value type with no I/O: the module that owns it fetches snapshots and feeds changes, and
/// resynchronizes from a new snapshot when ``apply(_:)`` reports a gap.
public struct SequencedOrderbook: Sendable, Hashable {
    /// One price level: its price and size. A change's size of zero removes the level.
    public struct Level: Sendable, Hashable {
        public var price: ExactDecimal
        public var size: ExactDecimal

        /// Creates a level.
        public init(price: ExactDecimal, size: ExactDecimal) {
            self.price = price
            self.size = size
        }
    }

    /// The changes between two update ids, inclusive (Binance's `U` and `u`).
    public struct Change: Sendable, Hashable {
        public var firstUpdateID: Int64
        public var lastUpdateID: Int64
        public var bids: [Level]
        public var asks: [Level]

        /// Creates a change.
        public init(firstUpdateID: Int64, lastUpdateID: Int64, bids: [Level], asks: [Level]) {
            self.firstUpdateID = firstUpdateID
            self.lastUpdateID = lastUpdateID
            self.bids = bids
            self.asks = asks
        }
    }

    /// What became of a change.
    public enum Outcome: Sendable, Hashable {
        /// The book moved to the change's last id.
        case applied
        /// The change ends at or before the book's id: already in the book, ignored.
        case alreadyApplied
        /// The change does not follow on from the book's id: changes are missing (or the venue
        /// sent them out of order), so the book is no longer true. Fetch a new snapshot.
        case gap(expected: Int64, received: Int64)
    }

    /// The id of the last update the book contains.
    public private(set) var updateID: Int64
    /// Bids, best (highest) first.
    public private(set) var bids: [Level]
    /// Asks, best (lowest) first.
    public private(set) var asks: [Level]
    /// Whether no change has been applied since the snapshot (the first may straddle its id).
    private var awaitingFirstChange = true

    /// A book from a snapshot.
    /// - Parameters:
    ///   - updateID: The snapshot's id (Binance's `lastUpdateId`).
    ///   - bids: Its bids, in any order; levels of size zero are left out.
    ///   - asks: Its asks, in any order.
    public init(updateID: Int64, bids: [Level], asks: [Level]) {
        self.updateID = updateID
        self.bids = bids.filter { !$0.size.isZero }.sorted { $0.price > $1.price }
        self.asks = asks.filter { !$0.size.isZero }.sorted { $0.price < $1.price }
    }

    /// Applies `change` if it follows on from the book.
    public mutating func apply(_ change: Change) -> Outcome {
        if change.lastUpdateID <= updateID { return .alreadyApplied }
        let follows =
            awaitingFirstChange
            ? change.firstUpdateID <= updateID + 1 : change.firstUpdateID == updateID + 1
        guard follows else { return .gap(expected: updateID + 1, received: change.firstUpdateID) }
        for level in change.bids { Self.set(level, in: &bids, descending: true) }
        for level in change.asks { Self.set(level, in: &asks, descending: false) }
        updateID = change.lastUpdateID
        awaitingFirstChange = false
        return .applied
    }

    /// The book as an event payload: rows pair the i-th best bid with the i-th best ask, as many
    /// rows as the shorter side has (at most `levels`), totals over the rows given.
    public func orderbook(levels: Int? = nil) -> Orderbook {
        let count = min(bids.count, asks.count, levels ?? .max)
        var units: [Orderbook.Unit] = []
        units.reserveCapacity(count)
        var totalBid = ExactDecimal.zero
        var totalAsk = ExactDecimal.zero
        for index in 0..<count {
            let (bid, ask) = (bids[index], asks[index])
            units.append(Orderbook.Unit(askPrice: ask.price, bidPrice: bid.price, askSize: ask.size, bidSize: bid.size))
            totalBid = totalBid + bid.size
            totalAsk = totalAsk + ask.size
        }
        return Orderbook(totalAskSize: totalAsk, totalBidSize: totalBid, units: units, sequence: updateID)
    }

    /// Sets, adds or (size zero) removes a level, keeping the side sorted: a binary search, then
    /// one replace, insert or remove.
    private static func set(_ level: Level, in side: inout [Level], descending: Bool) {
        var low = 0
        var high = side.count
        while low < high {
            let middle = (low + high) / 2
            let ahead = descending ? side[middle].price > level.price : side[middle].price < level.price
            if ahead { low = middle + 1 } else { high = middle }
        }
        let found = low < side.count && side[low].price == level.price
        switch (found, level.size.isZero) {
        case (true, true): side.remove(at: low)
        case (true, false): side[low].size = level.size
        case (false, false): side.insert(level, at: low)
        case (false, true): break
        }
    }
}
