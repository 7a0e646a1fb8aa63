import MarketStreamCore

/// The `watch --json` fields of a venue that is not Upbit's family: the normalised event in
/// snake_case (`price`, `volume_24h`, `best_bid_price`, `bids`, …), exact decimals as JSON numbers.
enum NormalisedFields {
    static func write(_ event: MarketEvent, into w: inout JSONWriter) {
        switch event.payload {
        case .ticker(let t):
            w.key("price")
            w.number(t.tradePrice)
            w.key("open")
            w.number(t.openingPrice)
            w.key("high")
            w.number(t.highPrice)
            w.key("low")
            w.number(t.lowPrice)
            w.key("prev_close")
            w.number(t.prevClosingPrice)
            w.key("change")
            w.number(t.signedChangePrice)
            w.key("change_rate")
            w.number(t.signedChangeRate)
            w.key("volume_24h")
            w.number(t.accTradeVolume24h)
            w.key("quote_volume_24h")
            w.number(t.accTradePrice24h)
            w.key("best_bid_price")
            w.optional(t.bestBidPrice)
            w.key("best_bid_size")
            w.optional(t.bestBidSize)
            w.key("best_ask_price")
            w.optional(t.bestAskPrice)
            w.key("best_ask_size")
            w.optional(t.bestAskSize)
        case .trade(let t):
            w.key("id")
            w.integer(t.sequentialID)
            w.key("price")
            w.number(t.tradePrice)
            w.key("size")
            w.number(t.tradeVolume)
            w.key("side")
            w.string(t.side == .bid ? "buy" : "sell")
            w.key("time")
            w.integer(t.tradeTimestamp.milliseconds)
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
            w.key("total_bid_size")
            w.number(book.totalBidSize)
            w.key("total_ask_size")
            w.number(book.totalAskSize)
        case .candle(let c):
            w.key("start")
            w.string(c.startUTC)
            w.key("open")
            w.number(c.openingPrice)
            w.key("high")
            w.number(c.highPrice)
            w.key("low")
            w.number(c.lowPrice)
            w.key("close")
            w.number(c.tradePrice)
            w.key("volume")
            w.number(c.accTradeVolume)
            w.key("quote_volume")
            w.number(c.accTradePrice)
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
