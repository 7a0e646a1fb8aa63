import MarketStreamCore

/// What the account holds, from the exchange's own numbers: balances from `myAsset` (or the
/// accounts endpoint at start), valued at the latest ticker prices. Profit and loss is the change
/// in equity, so fees are included exactly.
struct Portfolio: Sendable {
    private(set) var balances: [String: MyAsset.Balance] = [:]
    private(set) var startEquity: ExactDecimal?
    let quote: String

    init(quote: String = "KRW") {
        self.quote = quote
    }

    mutating func apply(_ changed: [MyAsset.Balance]) {
        for balance in changed { balances[balance.currency] = balance }
    }

    /// The available amount of a currency.
    func holding(_ currency: String) -> ExactDecimal { balances[currency]?.balance ?? .zero }

    /// Cash plus every coin valued at `price(currency)`; coins without a price are left out.
    func equity(price: (String) -> ExactDecimal?) -> ExactDecimal {
        balances.values.reduce(ExactDecimal.zero) { total, balance in
            let amount = balance.balance + balance.locked
            if balance.currency == quote { return total + amount }
            guard let price = price(balance.currency) else { return total }
            return total + amount * price
        }
    }

    mutating func markStart(price: (String) -> ExactDecimal?) {
        if startEquity == nil { startEquity = equity(price: price) }
    }
}
