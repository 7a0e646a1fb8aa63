import HTTPTypes
import Hummingbird
import MarketStreamCore
import NIOCore
import UpbitWire

/// Builds the mock exchange's REST responses in Upbit's JSON shapes.
enum RESTResponses {
    static func json(_ bytes: [UInt8], status: HTTPResponse.Status = .ok, remaining: String? = nil) -> Response {
        var headers: HTTPFields = [.contentType: "application/json; charset=utf-8"]
        if let remaining, let name = HTTPField.Name("Remaining-Req") { headers[name] = remaining }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    /// `{"error":{"name":…,"message":…}}`
    static func error(_ status: HTTPResponse.Status, name: String, message: String, remaining: String? = nil)
        -> Response
    {
        json(Array(UpbitErrorFrame(name: name, message: message).json.utf8), status: status, remaining: remaining)
    }

    static func ticker(_ ticker: Ticker, market: MarketCode, timestamp: Int64, into w: inout JSONWriter) {
        let t = UpbitTicker(ticker)
        let kst = CivilTime(milliseconds: t.tradeTimestamp.milliseconds, offsetHours: 9)
        w.beginObject()
        w.key("market"); w.string(market.rawValue)
        w.key("trade_date"); w.string(t.tradeDate)
        w.key("trade_time"); w.string(t.tradeTime)
        w.key("trade_date_kst"); w.string(kst.compactDate)
        w.key("trade_time_kst"); w.string(kst.compactTime)
        w.key("trade_timestamp"); w.integer(t.tradeTimestamp.milliseconds)
        w.key("opening_price"); w.number(t.openingPrice)
        w.key("high_price"); w.number(t.highPrice)
        w.key("low_price"); w.number(t.lowPrice)
        w.key("trade_price"); w.number(t.tradePrice)
        w.key("prev_closing_price"); w.number(t.prevClosingPrice)
        w.key("change"); w.string(t.change.rawValue)
        w.key("change_price"); w.number(t.changePrice)
        w.key("change_rate"); w.number(t.changeRate)
        w.key("signed_change_price"); w.number(t.signedChangePrice)
        w.key("signed_change_rate"); w.number(t.signedChangeRate)
        w.key("trade_volume"); w.number(t.tradeVolume)
        w.key("acc_trade_price"); w.number(t.accTradePrice)
        w.key("acc_trade_price_24h"); w.number(t.accTradePrice24h)
        w.key("acc_trade_volume"); w.number(t.accTradeVolume)
        w.key("acc_trade_volume_24h"); w.number(t.accTradeVolume24h)
        w.key("highest_52_week_price"); w.number(t.highest52WeekPrice)
        w.key("highest_52_week_date"); w.string(t.highest52WeekDate)
        w.key("lowest_52_week_price"); w.number(t.lowest52WeekPrice)
        w.key("lowest_52_week_date"); w.string(t.lowest52WeekDate)
        w.key("timestamp"); w.integer(timestamp)
        w.endObject()
    }

    static func orderbook(_ book: Orderbook, market: MarketCode, timestamp: Int64, into w: inout JSONWriter) {
        w.beginObject()
        w.key("market"); w.string(market.rawValue)
        w.key("timestamp"); w.integer(timestamp)
        w.key("total_ask_size"); w.number(book.totalAskSize)
        w.key("total_bid_size"); w.number(book.totalBidSize)
        w.key("orderbook_units")
        w.beginArray()
        for unit in book.units {
            w.beginObject()
            w.key("ask_price"); w.number(unit.askPrice)
            w.key("bid_price"); w.number(unit.bidPrice)
            w.key("ask_size"); w.number(unit.askSize)
            w.key("bid_size"); w.number(unit.bidSize)
            w.endObject()
        }
        w.endArray()
        w.key("level"); w.number(book.level)
        w.endObject()
    }

    /// Exchange REST numbers are strings (`"balance":"1000000.0"`).
    static func order(_ order: PaperLedger.Order, includeTrades: Bool, into w: inout JSONWriter) {
        func decimal(_ key: String, _ value: ExactDecimal?) {
            w.key(key)
            if let value { w.string(value.description) } else { w.null() }
        }
        w.beginObject()
        w.key("uuid"); w.string(order.uuid)
        w.key("side"); w.string(order.side == .bid ? "bid" : "ask")
        w.key("ord_type"); w.string(order.orderType)
        decimal("price", order.price)
        w.key("state"); w.string(order.state)
        w.key("market"); w.string(order.market.rawValue)
        w.key("created_at"); w.string(CivilTime(milliseconds: order.createdAt, offsetHours: 9).isoDateTime + "+09:00")
        decimal("volume", order.volume)
        decimal("remaining_volume", order.remainingVolume)
        decimal("reserved_fee", .zero)
        decimal("remaining_fee", .zero)
        decimal("paid_fee", order.paidFee)
        decimal("locked", order.locked)
        decimal("executed_volume", order.executedVolume)
        w.key("trades_count"); w.integer(Int64(order.tradesCount))
        w.key("identifier"); w.optional(order.identifier)
        if includeTrades {
            w.key("trades")
            w.beginArray()
            for trade in order.trades {
                w.beginObject()
                w.key("market"); w.string(order.market.rawValue)
                w.key("uuid"); w.string(trade.uuid)
                decimal("price", trade.price)
                decimal("volume", trade.volume)
                decimal("funds", trade.funds)
                w.key("side"); w.string(order.side == .bid ? "bid" : "ask")
                w.key("created_at"); w.string(CivilTime(milliseconds: trade.at, offsetHours: 9).isoDateTime + "+09:00")
                w.endObject()
            }
            w.endArray()
        }
        w.endObject()
    }
}
