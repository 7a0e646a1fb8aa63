import MarketStreamCore

/// How Binance names a market: base and quote run together (`BTCUSDT`), in lower case inside
/// stream names (`btcusdt@trade`). MarketStream's code for the same market is `USDT-BTC`, the
/// `QUOTE-BASE` spelling every venue shares, so one code means one instrument on every venue.
public enum BinanceSymbol {
    /// Quote assets Binance spot lists, longest first, so a symbol splits at the longest quote
    /// it ends with (`BTCFDUSD` is BTC in FDUSD, not in `USD`).
    public static let quoteAssets: [String] = [
        "FDUSD", "USDT", "USDC", "TUSD", "BUSD", "USDP", "AEUR", "EURI", "BTC", "ETH", "BNB", "EUR", "TRY", "BRL",
        "JPY", "ARS", "MXN", "PLN", "RON", "ZAR", "UAH", "IDR", "COP", "CZK", "DAI", "XRP", "TRX", "DOT", "SOL",
        "KRW", "GBP", "AUD",
    ].sorted { $0.count > $1.count }

    /// The symbol of `market` as REST and data frames write it: `BTCUSDT` for `USDT-BTC`.
    public static func symbol(for market: MarketCode) -> String { "\(market.base)\(market.quote)" }

    /// The lower-case symbol that begins stream names: `btcusdt` for `USDT-BTC`.
    public static func streamSymbol(for market: MarketCode) -> String { symbol(for: market).lowercased() }

    /// The market a symbol names, in either case (`BTCUSDT`, `btcusdt`).
    /// - Returns: `nil` when the symbol ends in no known quote asset or the rest is not a valid base.
    public static func market(fromSymbol symbol: some StringProtocol) -> MarketCode? {
        let upper = symbol.uppercased()
        for quote in quoteAssets where upper.count > quote.count && upper.hasSuffix(quote) {
            if let code = try? MarketCode("\(quote)-\(upper.dropLast(quote.count))") { return code }
        }
        return nil
    }
}
