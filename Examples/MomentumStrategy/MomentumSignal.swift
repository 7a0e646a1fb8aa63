import MarketStreamCore

/// A momentum signal per market: the change over the last `lookback` ticker prices, in basis
/// points, exact.
public struct MomentumSignal: Sendable {
    /// How many prices the momentum spans.
    public let lookback: Int
    private var prices: [MarketCode: [ExactDecimal]] = [:]

    /// Creates a signal over `lookback` prices (at least 2).
    public init(lookback: Int) {
        self.lookback = max(2, lookback)
    }

    /// Takes a price; returns the momentum in basis points once `lookback` prices are known.
    public mutating func update(_ market: MarketCode, price: ExactDecimal) -> ExactDecimal? {
        var window = prices[market, default: []]
        window.append(price)
        if window.count > lookback { window.removeFirst(window.count - lookback) }
        prices[market] = window
        guard window.count == lookback, let first = window.first, !first.isZero else { return nil }
        return ((price - first) * 10_000).divided(by: first, scale: 2)
    }

    /// The latest price of `market`.
    public func lastPrice(_ market: MarketCode) -> ExactDecimal? { prices[market]?.last }
}
