import MarketStreamCore

/// What the account holds, from the exchange's own numbers: balances from `myAsset` (or the
/// accounts endpoint at start), valued at the latest ticker prices. Profit and loss is the change
/// in equity, so fees are included exactly.
public struct Portfolio: Sendable {
    /// Every currency's balance.
    public private(set) var balances: [String: MyAsset.Balance] = [:]
    /// Equity when the first signal came (``markStart(price:)``).
    public private(set) var startEquity: ExactDecimal?
    /// The currency equity is counted in.
    public let quote: String

    /// Creates an empty portfolio counted in `quote`.
    public init(quote: String = "KRW") {
        self.quote = quote
    }

    /// Takes the balances `changed` reports.
    public mutating func apply(_ changed: [MyAsset.Balance]) {
        for balance in changed { balances[balance.currency] = balance }
    }

    /// The available amount of a currency.
    public func holding(_ currency: String) -> ExactDecimal { balances[currency]?.balance ?? .zero }

    /// Cash plus every coin valued at `price(currency)`; coins without a price are left out.
    public func equity(price: (String) -> ExactDecimal?) -> ExactDecimal {
        balances.values.reduce(ExactDecimal.zero) { total, balance in
            let amount = balance.balance + balance.locked
            if balance.currency == quote { return total + amount }
            guard let price = price(balance.currency) else { return total }
            return total + amount * price
        }
    }

    /// Remembers the equity now as the start, once.
    public mutating func markStart(price: (String) -> ExactDecimal?) {
        if startEquity == nil { startEquity = equity(price: price) }
    }
}
