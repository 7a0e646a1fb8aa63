import MarketStreamCore
import Synchronization

/// The latest price per venue and market, and the kimchi premium they give: how much more a
/// Korean venue charges for a bitcoin than Binance does, with Binance's USDT price converted at
/// Upbit's KRW price of USDT. All arithmetic is exact.
final class PremiumBoard: Sendable {
    /// A price the board follows: a market on a venue.
    struct Quote: Hashable, Sendable {
        var exchange: ExchangeID
        var market: MarketCode
    }

    static let upbitBTC = Quote(exchange: "upbit", market: MarketCode(validated: "KRW-BTC"))
    static let bithumbBTC = Quote(exchange: "bithumb", market: MarketCode(validated: "KRW-BTC"))
    static let binanceBTC = Quote(exchange: "binance", market: MarketCode(validated: "USDT-BTC"))
    static let upbitUSDT = Quote(exchange: "upbit", market: MarketCode(validated: "KRW-USDT"))
    /// Every quote, in the table's order.
    static let quotes = [upbitBTC, bithumbBTC, binanceBTC, upbitUSDT]

    private let prices = Mutex<[Quote: ExactDecimal]>([:])

    /// Records the last price of `market` on `exchange`.
    func update(_ exchange: ExchangeID, _ market: MarketCode, price: ExactDecimal) {
        prices.withLock { $0[Quote(exchange: exchange, market: market)] = price }
    }

    /// The price of a bitcoin bought on Binance, in KRW: BTCUSDT × KRW-USDT.
    static func binanceBTCInKRW(_ prices: [Quote: ExactDecimal]) -> ExactDecimal? {
        guard let btc = prices[binanceBTC], let usdt = prices[upbitUSDT] else { return nil }
        return btc * usdt
    }

    /// The premium of a KRW price over `reference`, in percent with two decimals (rounded toward zero).
    static func premium(_ price: ExactDecimal, over reference: ExactDecimal) -> ExactDecimal? {
        guard !reference.isZero, let ratio = (price * 100).divided(by: reference, scale: 2) else { return nil }
        return ratio - 100
    }

    /// The premium of each Korean venue, where every price it needs has arrived.
    func premiums() -> [ExchangeID: ExactDecimal] {
        let prices = self.prices.withLock { $0 }
        guard let reference = Self.binanceBTCInKRW(prices) else { return [:] }
        var premiums: [ExchangeID: ExactDecimal] = [:]
        for quote in [Self.upbitBTC, Self.bithumbBTC] {
            if let price = prices[quote], let premium = Self.premium(price, over: reference) {
                premiums[quote.exchange] = premium
            }
        }
        return premiums
    }

    /// The table: one line per quote, the premium beside each KRW price of bitcoin.
    func render(title: String) -> String {
        let prices = self.prices.withLock { $0 }
        let reference = Self.binanceBTCInKRW(prices)
        var lines = [title, pad("venue", 9) + pad("market", 10) + pad("last price", 20) + "premium / in KRW"]
        for quote in Self.quotes {
            var line = pad(quote.exchange.rawValue, 9) + pad(quote.market.rawValue, 10)
            guard let price = prices[quote] else {
                lines.append(line + "waiting…")
                continue
            }
            line += pad("\(price) \(quote.market.quote)", 20)
            switch quote {
            case Self.upbitBTC, Self.bithumbBTC:
                if let reference, let premium = Self.premium(price, over: reference) {
                    line += "premium \(premium.isNegative ? "" : "+")\(premium) %"
                }
            case Self.binanceBTC:
                if let reference { line += "= \(reference) KRW" }
            default:
                break
            }
            lines.append(String(line.reversed().drop { $0 == " " }.reversed()))
        }
        return lines.joined(separator: "\n") + "\n\n"
    }

    private func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
    }
}
