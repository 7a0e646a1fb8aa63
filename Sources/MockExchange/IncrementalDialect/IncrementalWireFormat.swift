import MarketStreamCore
import UpbitWire

/// The mock exchange's second, incremental dialect (modelled on Binance's): streams named
/// `<code>@<kind>` (`KRW-BTC@trade`, `KRW-ETH@orderbook.15`), subscribe/unsubscribe by id with
/// acknowledgements, and compact data objects whose numbers are strings.
///
/// ```
/// → {"method":"SUBSCRIBE","params":["KRW-BTC@trade"],"id":1}
/// ← {"result":null,"id":1}
/// ← {"stream":"KRW-BTC@trade","data":{"e":"trade","E":1790134742131,"s":"KRW-BTC","t":17901347420510000,
///    "p":"116539000","q":"0.00214535","m":false,"X":"REALTIME"}}
/// ```
/// Methods: `SUBSCRIBE` (a snapshot, then live), `UNSUBSCRIBE`, `SNAPSHOT` (state once, not live),
/// `LIST_SUBSCRIPTIONS`. Errors: `{"error":{"code":2,"msg":"…"},"id":n}`; the connection stays open.
public enum IncrementalWireFormat {
    /// The stream name of a topic.
    public static func streamName(kind: DataKind, market: MarketCode) -> String { "\(market.rawValue)@\(kind)" }

    /// Parses a stream name; `nil` when malformed or not a public built-in kind.
    public static func parseStream(_ name: String) -> (kind: DataKind, market: MarketCode)? {
        let parts = name.split(separator: "@", maxSplits: 1)
        guard parts.count == 2, let market = try? MarketCode(String(parts[0])),
            let kind = try? DataKind(parsing: String(parts[1])), !kind.isCustom, !kind.isPrivate
        else { return nil }
        return (kind, market)
    }

    /// Encodes an event as a data frame.
    static func encode(_ event: MarketEvent, stream: String) -> [UInt8] {
        var w = JSONWriter()
        w.beginObject()
        w.key("stream")
        w.string(stream)
        w.key("data")
        w.beginObject()
        func field(_ key: String, _ value: ExactDecimal) {
            w.key(key)
            w.string(value.description)
        }
        let eventName: String
        switch event.payload {
        case .ticker: eventName = "ticker"
        case .trade: eventName = "trade"
        case .orderbook: eventName = "depth"
        case .candle: eventName = "kline"
        default: eventName = event.kind.family
        }
        w.key("e")
        w.string(eventName)
        w.key("E")
        w.integer(event.timestamp.milliseconds)
        w.key("s")
        w.string(event.market.rawValue)
        switch event.payload {
        case .ticker(let t):
            field("c", t.tradePrice)
            field("o", t.openingPrice)
            field("h", t.highPrice)
            field("l", t.lowPrice)
            field("v", t.accTradeVolume24h)
            field("q", t.accTradePrice24h)
        case .trade(let t):
            w.key("t")
            w.integer(t.sequentialID)
            field("p", t.tradePrice)
            field("q", t.tradeVolume)
            w.key("m")
            w.bool(t.side == .ask)
        case .orderbook(let book):
            for (key, side) in [("b", true), ("a", false)] {
                w.key(key)
                w.beginArray()
                for unit in book.units {
                    w.beginArray()
                    w.string((side ? unit.bidPrice : unit.askPrice).description)
                    w.string((side ? unit.bidSize : unit.askSize).description)
                    w.endArray()
                }
                w.endArray()
            }
        case .candle(let c):
            w.key("k")
            w.beginObject()
            w.key("i")
            w.string(event.kind.candleInterval?.rawValue ?? "")
            w.key("t")
            w.string(c.startUTC)
            field("o", c.openingPrice)
            field("h", c.highPrice)
            field("l", c.lowPrice)
            field("c", c.tradePrice)
            field("v", c.accTradeVolume)
            w.endObject()
        default:
            break
        }
        w.key("X")
        w.string(event.stream == .snapshot ? "SNAPSHOT" : "REALTIME")
        w.endObject()
        w.endObject()
        return w.bytes
    }

    static func result(id: Int, streams: [String]?) -> String {
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
        w.integer(Int64(id))
        w.endObject()
        return String(decoding: w.bytes, as: UTF8.self)
    }

    static func error(id: Int?, message: String) -> String {
        var w = JSONWriter(capacity: 64)
        w.beginObject()
        w.key("error")
        w.beginObject()
        w.key("code")
        w.integer(2)
        w.key("msg")
        w.string(message)
        w.endObject()
        w.key("id")
        if let id { w.integer(Int64(id)) } else { w.null() }
        w.endObject()
        return String(decoding: w.bytes, as: UTF8.self)
    }
}
