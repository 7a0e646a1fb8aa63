import MarketStreamCore

/// The `watch --json` fields of a venue that is not Upbit's family: the normalised event in
/// snake_case (`price`, `volume_24h`, `best_bid_price`, `bids`, …), exact decimals as JSON numbers.
enum NormalisedFields {
    static func write(_ event: MarketEvent, into w: inout JSONWriter) {
        func field(_ key: String, _ value: ExactDecimal?) {
            w.key(key)
            w.optional(value)
        }
        switch event.payload {
        case .ticker(let t):
            field("price", t.price)
            field("last_size", t.lastSize)
            field("open", t.open)
            field("high", t.high)
            field("low", t.low)
            field("prev_close", t.previousClose)
            field("change", t.change)
            field("change_rate", t.changeRate)
            field("volume_24h", t.volume24h)
            field("quote_volume_24h", t.quoteVolume24h)
            field("best_bid_price", t.bestBidPrice)
            field("best_bid_size", t.bestBidSize)
            field("best_ask_price", t.bestAskPrice)
            field("best_ask_size", t.bestAskSize)
        case .trade(let t):
            w.key("id")
            w.integer(t.id)
            field("price", t.price)
            field("size", t.size)
            w.key("side")
            w.string(t.side == .bid ? "buy" : "sell")
            w.key("time")
            w.integer(t.time.milliseconds)
        case .orderbook(let book):
            w.key("sequence")
            if let sequence = book.sequence { w.integer(sequence) } else { w.null() }
            for (key, bids) in [("bids", true), ("asks", false)] {
                w.key(key)
                w.beginArray()
                for unit in book.units {
                    w.beginArray()
                    w.number(bids ? unit.bidPrice : unit.askPrice)
                    w.number(bids ? unit.bidSize : unit.askSize)
                    w.endArray()
                }
                w.endArray()
            }
            field("total_bid_size", book.totalBidSize)
            field("total_ask_size", book.totalAskSize)
        case .candle(let c):
            w.key("start")
            w.string(c.startUTC)
            field("open", c.open)
            field("high", c.high)
            field("low", c.low)
            field("close", c.close)
            field("volume", c.volume)
            field("quote_volume", c.quoteVolume)
        case .custom(let custom):
            for (name, value) in custom.fields {
                w.key(name)
                w.number(value)
            }
        case .myOrder, .myAsset:
            break
        }
    }
}
