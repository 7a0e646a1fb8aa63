import MarketStreamCore

/// Writes MarketStream events as Binance spot writes its stream payloads: the mock exchange's
/// Binance dialect and the tests' fixtures use it, and the Binance module's decoder reads it.
///
/// ```
/// {"stream":"btcusdt@trade","data":{"e":"trade","E":1790134742131,"s":"BTCUSDT","t":2051,
///  "p":"80371.25","q":"0.00214","T":1790134742130,"m":true,"M":true}}
/// ```
public enum BinanceEventEncoder {
    /// Encodes `event` as the payload of `stream`.
    /// - Parameters:
    ///   - event: A ticker, trade, order book or candle event of the stream's market.
    ///   - stream: The stream it is sent on (a partial book is cut to the stream's levels).
    ///   - combined: Whether to wrap it as combined streams do (`{"stream":…,"data":…}`).
    ///   - top: The best bid and ask for a ticker, as the book's first row (zeros when `nil`).
    ///   - updateID: The book's update id (`lastUpdateId`).
    /// - Returns: The frame's bytes, or `nil` when the event's payload does not fit the stream.
    public static func encode(
        _ event: MarketEvent, stream: BinanceStream, combined: Bool, top: Orderbook.Unit? = nil, updateID: Int64 = 0
    ) -> [UInt8]? {
        var w = JSONWriter()
        if combined {
            w.beginObject()
            w.key("stream")
            w.string(stream.name)
            w.key("data")
        }
        let symbol = BinanceSymbol.symbol(for: event.market)
        func decimal(_ key: String, _ value: ExactDecimal) {
            w.key(key)
            w.string(value.description)
        }
        func header(_ type: String) {
            w.beginObject()
            w.key("e")
            w.string(type)
            w.key("E")
            w.integer(event.timestamp.milliseconds)
            w.key("s")
            w.string(symbol)
        }
        switch (event.payload, stream.kind) {
        case (.ticker(let t), .ticker):
            header("24hrTicker")
            let native = t.native(as: BinanceTicker.self)
            decimal("p", t.change ?? .zero)
            decimal("P", (t.changeRate ?? .zero) * 100)
            decimal("w", native?.weightedAveragePrice ?? weightedAverage(t))
            decimal("x", t.previousClose ?? t.open ?? t.price)
            decimal("c", t.price)
            decimal("Q", t.lastSize ?? .zero)
            decimal("b", top?.bidPrice ?? .zero)
            decimal("B", top?.bidSize ?? .zero)
            decimal("a", top?.askPrice ?? .zero)
            decimal("A", top?.askSize ?? .zero)
            decimal("o", t.open ?? t.price)
            decimal("h", t.high ?? t.price)
            decimal("l", t.low ?? t.price)
            decimal("v", t.volume24h)
            decimal("q", t.quoteVolume24h ?? .zero)
            w.key("O")
            w.integer(native?.openTime?.milliseconds ?? event.timestamp.milliseconds - 86_400_000)
            w.key("C")
            w.integer(native?.closeTime?.milliseconds ?? event.timestamp.milliseconds)
            w.key("F")
            w.integer(0)
            w.key("L")
            w.integer(0)
            w.key("n")
            w.integer(native?.tradeCount ?? 0)
            w.endObject()
        case (.trade(let t), .trade):
            header("trade")
            w.key("t")
            w.integer(t.id)
            decimal("p", t.price)
            decimal("q", t.size)
            w.key("T")
            w.integer(t.time.milliseconds)
            // The buyer is the maker when the seller took the book: an ASK-side trade.
            w.key("m")
            w.bool(t.side == .ask)
            w.key("M")
            w.bool(true)
            w.endObject()
        case (.orderbook(let book), .partialBook(let levels)):
            writeBook(book, updateID: book.sequence ?? updateID, levels: levels, into: &w)
        case (.candle(let c), .kline(let interval)):
            header("kline")
            let start = c.start.milliseconds
            w.key("k")
            w.beginObject()
            w.key("t")
            w.integer(start)
            w.key("T")
            w.integer(start + Int64(interval.seconds) * 1_000 - 1)
            w.key("s")
            w.string(symbol)
            w.key("i")
            w.string(BinanceStream.klineName(interval) ?? interval.rawValue)
            decimal("o", c.open)
            decimal("c", c.close)
            decimal("h", c.high)
            decimal("l", c.low)
            decimal("v", c.volume)
            decimal("q", c.quoteVolume)
            w.key("n")
            w.integer(c.native(as: BinanceCandle.self)?.tradeCount ?? 0)
            w.key("x")
            w.bool(c.native(as: BinanceCandle.self)?.isClosed ?? false)
            w.endObject()
            w.endObject()
        default:
            return nil
        }
        if combined { w.endObject() }
        return w.bytes
    }

    /// A `depthUpdate` frame: the levels that changed between update ids `first` (`U`) and `last` (`u`).
    public static func depthUpdate(
        market: MarketCode, time: UnixTime, change: SequencedOrderbook.Change, combined: Bool
    ) -> [UInt8] {
        var w = JSONWriter()
        if combined {
            w.beginObject()
            w.key("stream")
            w.string(BinanceStream(market: market, kind: .diffBook).name)
            w.key("data")
        }
        w.beginObject()
        w.key("e")
        w.string("depthUpdate")
        w.key("E")
        w.integer(time.milliseconds)
        w.key("s")
        w.string(BinanceSymbol.symbol(for: market))
        w.key("U")
        w.integer(change.firstUpdateID)
        w.key("u")
        w.integer(change.lastUpdateID)
        for (key, levels) in [("b", change.bids), ("a", change.asks)] {
            w.key(key)
            w.beginArray()
            for level in levels {
                w.beginArray()
                w.string(level.price.description)
                w.string(level.size.description)
                w.endArray()
            }
            w.endArray()
        }
        w.endObject()
        if combined { w.endObject() }
        return w.bytes
    }

    /// `{"result":null,"id":1}`, or the list `LIST_SUBSCRIPTIONS` asked for.
    public static func result(id: Int64?, streams: [String]?) -> String {
        var w = JSONWriter(capacity: 64)
        w.beginObject()
        w.key("result")
        if let streams {
            w.beginArray()
            for stream in streams { w.string(stream) }
            w.endArray()
        } else {
            w.null()
        }
        w.key("id")
        if let id { w.integer(id) } else { w.null() }
        w.endObject()
        return String(decoding: w.bytes, as: UTF8.self)
    }

    /// `{"error":{"code":2,"msg":"…"},"id":1}`: Binance's error reply; the connection stays open.
    public static func error(code: Int, message: String, id: Int64?) -> String {
        var w = JSONWriter(capacity: 64)
        w.beginObject()
        w.key("error")
        w.beginObject()
        w.key("code")
        w.integer(Int64(code))
        w.key("msg")
        w.string(message)
        w.endObject()
        w.key("id")
        if let id { w.integer(id) } else { w.null() }
        w.endObject()
        return String(decoding: w.bytes, as: UTF8.self)
    }

    /// A REST depth snapshot, `GET /api/v3/depth`: `{"lastUpdateId":…,"bids":[…],"asks":[…]}`.
    public static func depthSnapshot(_ book: Orderbook, updateID: Int64, limit: Int) -> [UInt8] {
        var w = JSONWriter()
        writeBook(book, updateID: updateID, levels: limit, into: &w)
        return w.bytes
    }

    /// `{"lastUpdateId":…,"bids":[["price","size"],…],"asks":[…]}`, best levels first.
    private static func writeBook(_ book: Orderbook, updateID: Int64, levels: Int, into w: inout JSONWriter) {
        w.beginObject()
        w.key("lastUpdateId")
        w.integer(updateID)
        for (key, bids) in [("bids", true), ("asks", false)] {
            w.key(key)
            w.beginArray()
            for unit in book.units.prefix(levels) {
                w.beginArray()
                w.string((bids ? unit.bidPrice : unit.askPrice).description)
                w.string((bids ? unit.bidSize : unit.askSize).description)
                w.endArray()
            }
            w.endArray()
        }
        w.endObject()
    }

    /// The quote volume over the base volume (the last price when nothing traded).
    static func weightedAverage(_ t: Ticker) -> ExactDecimal {
        guard !t.volume24h.isZero, let quote = t.quoteVolume24h else { return t.price }
        return quote.divided(by: t.volume24h, scale: 8) ?? t.price
    }
}
