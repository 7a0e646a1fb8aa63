import MarketStreamCore

/// One live entry of an Upbit connection's subscription set.
struct UpbitSubscriptionEntry: Sendable, Hashable {
    /// The type as requested (`ticker`, `orderbook`, `candle.1m`, `myOrder`, …).
    var type: String
    /// The market; `nil` for account-wide or all-market private types.
    var market: MarketCode?
    /// Requested book depth (orderbook only).
    var depth: Int?
    /// Requested grouping level (orderbook only).
    var level: ExactDecimal?

    /// The code as `LIST_SUBSCRIPTIONS` reports it (with the depth suffix).
    var listedCode: String? {
        guard let market else { return nil }
        if let depth { return "\(market.rawValue).\(depth)" }
        return market.rawValue
    }

    /// Parses a requested code such as `KRW-BTC.15`; `nil` for a code Upbit silently ignores.
    static func parse(code: String, type: String, level: ExactDecimal?, simulator: MarketSimulator)
        -> UpbitSubscriptionEntry?
    {
        var text = Substring(code)
        var depth: Int?
        if type == "orderbook", let dot = text.lastIndex(of: ".") {
            let suffix = Int(text[text.index(after: dot)...])
            // Unsupported depths fall back to 30, as on the wire.
            depth = suffix.flatMap { [1, 5, 15, 30].contains($0) ? $0 : 30 } ?? 30
            text = text[..<dot]
        }
        guard let market = try? MarketCode(String(text)), simulator.contains(market) else { return nil }
        return UpbitSubscriptionEntry(type: type, market: market, depth: depth, level: level)
    }
}
