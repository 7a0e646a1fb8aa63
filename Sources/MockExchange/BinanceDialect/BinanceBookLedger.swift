import BinanceWire
import MarketStreamCore

/// The mock's Binance books: each market's last published book and its update id, and the
/// change from the book before (`U`/`u` and the levels that moved), so the `@depth@100ms` stream
/// and the REST depth snapshot agree as Binance's do.
struct BinanceBookLedger: Sendable {
    private var books: [MarketCode: (updateID: Int64, book: Orderbook)] = [:]
    /// Ids skipped on purpose, per market, before the next change (the sequence-gap fault).
    private var skips: [MarketCode: Int64] = [:]

    /// The first id a market's book has.
    static let firstUpdateID: Int64 = 1_000

    /// Records `book` as `market`'s new book and returns the change from the previous one: ids
    /// advance by the number of levels that moved, as Binance's count updates.
    mutating func publish(_ book: Orderbook, of market: MarketCode) -> SequencedOrderbook.Change {
        let previous = books[market]
        let skipped = skips.removeValue(forKey: market) ?? 0
        let start = (previous?.updateID ?? Self.firstUpdateID) + skipped
        let bids = Self.changes(
            from: previous?.book.units.map { ($0.bidPrice, $0.bidSize) } ?? [],
            to: book.units.map { ($0.bidPrice, $0.bidSize) })
        let asks = Self.changes(
            from: previous?.book.units.map { ($0.askPrice, $0.askSize) } ?? [],
            to: book.units.map { ($0.askPrice, $0.askSize) })
        let last = start + Int64(max(1, bids.count + asks.count))
        books[market] = (last, book)
        return SequencedOrderbook.Change(firstUpdateID: start + 1, lastUpdateID: last, bids: bids, asks: asks)
    }

    /// `market`'s last published book and id, if any book of it was published.
    func snapshot(of market: MarketCode) -> (updateID: Int64, book: Orderbook)? { books[market] }

    /// Skips one update id of every market's book: the next change of each does not follow on.
    mutating func skipUpdate(of markets: [MarketCode]) {
        for market in markets { skips[market, default: 0] += 1 }
    }

    private static func changes(from old: [(ExactDecimal, ExactDecimal)], to new: [(ExactDecimal, ExactDecimal)])
        -> [SequencedOrderbook.Level]
    {
        let before = Dictionary(old, uniquingKeysWith: { _, last in last })
        let after = Dictionary(new, uniquingKeysWith: { _, last in last })
        var levels: [SequencedOrderbook.Level] = []
        for (price, size) in new where before[price] != size {
            levels.append(SequencedOrderbook.Level(price: price, size: size))
        }
        for (price, _) in old where after[price] == nil {
            levels.append(SequencedOrderbook.Level(price: price, size: .zero))
        }
        return levels
    }
}
