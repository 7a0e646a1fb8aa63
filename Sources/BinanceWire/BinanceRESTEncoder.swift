import MarketStreamCore

/// Writes the answers of Binance spot's market-data REST endpoints that the Binance module reads
/// for snapshots: the mock exchange's Binance dialect serves them, the module's decoder reads them.
public enum BinanceRESTEncoder {
    /// `GET /api/v3/ticker/24hr?symbol=…`: the rolling 24-hour ticker with the best bid and ask.
    /// - Parameters:
    ///   - ticker: The market's ticker.
    ///   - market: Its market.
    ///   - top: The book's best row (zeros when `nil`).
    ///   - closeTime: The ticker's time, milliseconds since the epoch.
    public static func ticker24h(_ ticker: Ticker, market: MarketCode, top: Orderbook.Unit?, closeTime: Int64)
        -> [UInt8]
    {
        var w = JSONWriter()
        func decimal(_ key: String, _ value: ExactDecimal) {
            w.key(key)
            w.string(value.description)
        }
        w.beginObject()
        w.key("symbol")
        w.string(BinanceSymbol.symbol(for: market))
        let native = ticker.native(as: BinanceTicker.self)
        decimal("priceChange", ticker.change ?? .zero)
        decimal("priceChangePercent", (ticker.changeRate ?? .zero) * 100)
        decimal("weightedAvgPrice", native?.weightedAveragePrice ?? BinanceEventEncoder.weightedAverage(ticker))
        decimal("prevClosePrice", ticker.previousClose ?? ticker.open ?? ticker.price)
        decimal("lastPrice", ticker.price)
        decimal("lastQty", ticker.lastSize ?? .zero)
        decimal("bidPrice", top?.bidPrice ?? .zero)
        decimal("bidQty", top?.bidSize ?? .zero)
        decimal("askPrice", top?.askPrice ?? .zero)
        decimal("askQty", top?.askSize ?? .zero)
        decimal("openPrice", ticker.open ?? ticker.price)
        decimal("highPrice", ticker.high ?? ticker.price)
        decimal("lowPrice", ticker.low ?? ticker.price)
        decimal("volume", ticker.volume24h)
        decimal("quoteVolume", ticker.quoteVolume24h ?? .zero)
        w.key("openTime")
        w.integer(closeTime - 86_400_000)
        w.key("closeTime")
        w.integer(closeTime)
        w.key("count")
        w.integer(native?.tradeCount ?? 0)
        w.endObject()
        return w.bytes
    }

    /// `GET /api/v3/trades?symbol=…&limit=…`: recent trades, oldest first.
    public static func trades(_ trades: some Collection<Trade>) -> [UInt8] {
        var w = JSONWriter()
        w.beginArray()
        for trade in trades {
            w.beginObject()
            w.key("id")
            w.integer(trade.id)
            w.key("price")
            w.string(trade.price.description)
            w.key("qty")
            w.string(trade.size.description)
            w.key("quoteQty")
            w.string((trade.price * trade.size).description)
            w.key("time")
            w.integer(trade.time.milliseconds)
            // The aggressor sold (Upbit's ASK) when the buyer was the maker.
            w.key("isBuyerMaker")
            w.bool(trade.side == .ask)
            w.key("isBestMatch")
            w.bool(true)
            w.endObject()
        }
        w.endArray()
        return w.bytes
    }

    /// `GET /api/v3/klines?symbol=…&interval=…&limit=…`: candles, oldest first, each
    /// `[openTime, open, high, low, close, volume, closeTime, quoteVolume, trades, takerBuyVolume,
    /// takerBuyQuoteVolume, "0"]`.
    public static func klines(_ candles: some Collection<Candle>, interval: CandleInterval) -> [UInt8] {
        var w = JSONWriter()
        w.beginArray()
        for candle in candles {
            let start = candle.start.milliseconds
            w.beginArray()
            w.integer(start)
            for value in [candle.open, candle.high, candle.low, candle.close] {
                w.string(value.description)
            }
            w.string(candle.volume.description)
            w.integer(start + Int64(interval.seconds) * 1_000 - 1)
            w.string(candle.quoteVolume.description)
            w.integer(candle.native(as: BinanceCandle.self)?.tradeCount ?? 0)
            w.string("0")
            w.string("0")
            w.string("0")
            w.endArray()
        }
        w.endArray()
        return w.bytes
    }
}
