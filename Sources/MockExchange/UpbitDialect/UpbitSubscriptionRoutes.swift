import MarketStreamCore

/// An Upbit connection's live entries indexed by (type, market), so publishing an event costs one
/// lookup rather than a scan of the whole set.
struct UpbitSubscriptionRoutes: Sendable {
    private struct Key: Hashable, Sendable {
        var family: String
        var market: MarketCode
    }

    private var byMarket: [Key: [UpbitSubscriptionEntry]] = [:]
    /// Entries without a market (private types requested without codes), by type.
    private var everyMarket: [String: [UpbitSubscriptionEntry]] = [:]

    init(_ entries: [UpbitSubscriptionEntry]) {
        for entry in entries {
            if let market = entry.market {
                byMarket[Key(family: entry.type, market: market), default: []].append(entry)
            } else {
                everyMarket[entry.type, default: []].append(entry)
            }
        }
    }

    /// Calls `body` with every entry that receives an event of `family` (`ticker`, `candle.1m`, …)
    /// for `market`: the entries for that market, then those for every market.
    func forEachEntry(family: String, market: MarketCode, _ body: (UpbitSubscriptionEntry) -> Void) {
        if !byMarket.isEmpty, let entries = byMarket[Key(family: family, market: market)] { entries.forEach(body) }
        if !everyMarket.isEmpty, let entries = everyMarket[family] { entries.forEach(body) }
    }
}
