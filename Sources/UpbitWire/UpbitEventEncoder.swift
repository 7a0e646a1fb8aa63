import MarketStreamCore

/// Encodes events as Upbit's WebSocket JSON, in DEFAULT (full keys) or SIMPLE (short keys).
public enum UpbitEventEncoder {
    /// The event as one JSON object in the given key style.
    /// - Parameter variant: Upbit's spelling (default) or Bithumb's.
    public static func encode(_ event: MarketEvent, simple: Bool, variant: UpbitWireVariant = .upbit) -> [UInt8] {
        var w = JSONWriter()
        w.beginObject()
        w.key(simple ? "ty" : "type")
        w.string(event.kind.family)
        writeFields(of: event, simple: simple, withEnvelope: true, variant: variant, into: &w)
        w.endObject()
        return w.bytes
    }

    /// Writes the event's fields as Upbit names them into an object already begun in `w`.
    /// - Parameter withEnvelope: Whether to write `code`, `timestamp` and `stream_type` too; a
    ///   caller with an envelope of its own (the CLI's `watch --json` line) leaves them out.
    /// - Parameter variant: Upbit's spelling (default) or Bithumb's.
    package static func writeFields(
        of event: MarketEvent, simple: Bool, withEnvelope: Bool, variant: UpbitWireVariant = .upbit,
        into w: inout JSONWriter
    ) {
        func k(_ full: String, _ short: String) { w.key(simple ? short : full) }
        let bithumb = variant == .bithumb
        /// Bithumb writes dates and times in KST.
        func kst(_ time: UnixTime) -> CivilTime { CivilTime(milliseconds: time.milliseconds, offsetHours: 9) }
        let stream = event.stream == .snapshot ? "SNAPSHOT" : "REALTIME"
        /// Writes the code unless the caller's envelope does.
        func code() {
            guard withEnvelope else { return }
            k("code", "cd")
            w.string(event.market.rawValue)
        }
        /// Writes the timestamp unless the caller's envelope does.
        func timestamp() {
            guard withEnvelope else { return }
            k("timestamp", "tms")
            // Bithumb's order-book timestamps are microseconds.
            if bithumb, case .orderbook = event.payload {
                w.integer(event.timestamp.nanoseconds / 1_000)
            } else {
                w.integer(event.timestamp.milliseconds)
            }
        }
        func streamType() {
            guard withEnvelope else { return }
            k("stream_type", "st")
            w.string(stream)
        }
        switch event.payload {
        case .ticker(let ticker):
            let t = UpbitTicker(ticker)
            code()
            k("opening_price", "op"); w.number(t.openingPrice)
            k("high_price", "hp"); w.number(t.highPrice)
            k("low_price", "lp"); w.number(t.lowPrice)
            k("trade_price", "tp"); w.number(t.tradePrice)
            k("prev_closing_price", "pcp"); w.number(t.prevClosingPrice)
            k("change", "c"); w.string(t.change.rawValue)
            k("change_price", "cp"); w.number(t.changePrice)
            k("signed_change_price", "scp"); w.number(t.signedChangePrice)
            k("change_rate", "cr"); w.number(t.changeRate)
            k("signed_change_rate", "scr"); w.number(t.signedChangeRate)
            k("trade_volume", "tv"); w.number(t.tradeVolume)
            k("acc_trade_volume", "atv"); w.number(t.accTradeVolume)
            k("acc_trade_volume_24h", "atv24h"); w.number(t.accTradeVolume24h)
            k("acc_trade_price", "atp"); w.number(t.accTradePrice)
            k("acc_trade_price_24h", "atp24h"); w.number(t.accTradePrice24h)
            k("trade_date", "tdt"); w.string(bithumb ? kst(t.tradeTimestamp).compactDate : t.tradeDate)
            k("trade_time", "ttm"); w.string(bithumb ? kst(t.tradeTimestamp).compactTime : t.tradeTime)
            k("trade_timestamp", "ttms"); w.integer(t.tradeTimestamp.milliseconds)
            k("ask_bid", "ab"); w.string(t.askBid.rawValue)
            k("acc_ask_volume", "aav"); w.number(t.accAskVolume)
            k("acc_bid_volume", "abv"); w.number(t.accBidVolume)
            k("highest_52_week_price", "h52wp"); w.number(t.highest52WeekPrice)
            k("highest_52_week_date", "h52wdt"); w.string(t.highest52WeekDate)
            k("lowest_52_week_price", "l52wp"); w.number(t.lowest52WeekPrice)
            k("lowest_52_week_date", "l52wdt"); w.string(t.lowest52WeekDate)
            k("market_state", "ms"); w.string(t.marketState)
            k("is_trading_suspended", "its"); w.bool(t.isTradingSuspended ?? false)
            k("delisting_date", "dd")
            if bithumb { w.string(t.delistingDate ?? "") } else { w.optional(t.delistingDate) }
            k("market_warning", "mw"); w.string(t.marketWarning ?? "NONE")
        case .trade(let trade):
            let t = UpbitTrade(trade)
            code()
            timestamp()
            k("trade_date", bithumb ? "tdt" : "td")
            w.string(bithumb ? kst(t.tradeTimestamp).dashedDate : t.tradeDate)
            k("trade_time", "ttm"); w.string(bithumb ? kst(t.tradeTimestamp).colonTime : t.tradeTime)
            k("trade_timestamp", "ttms"); w.integer(t.tradeTimestamp.milliseconds)
            k("trade_price", "tp"); w.number(t.tradePrice)
            k("trade_volume", "tv"); w.number(t.tradeVolume)
            k("ask_bid", "ab"); w.string(t.side.rawValue)
            k("prev_closing_price", "pcp"); w.number(t.prevClosingPrice)
            k("change", "c"); w.string(t.change.rawValue)
            k("change_price", "cp"); w.number(t.changePrice)
            k("sequential_id", "sid"); w.integer(t.sequentialID)
            k("best_ask_price", "bap"); w.optional(t.bestAskPrice)
            k("best_ask_size", "bas"); w.optional(t.bestAskSize)
            k("best_bid_price", "bbp"); w.optional(t.bestBidPrice)
            k("best_bid_size", "bbs"); w.optional(t.bestBidSize)
            streamType()
            return
        case .orderbook(let book):
            code()
            timestamp()
            k("total_ask_size", "tas"); w.number(book.totalAskSize)
            k("total_bid_size", "tbs"); w.number(book.totalBidSize)
            k("orderbook_units", "obu")
            w.beginArray()
            for unit in book.units {
                w.beginObject()
                k("ask_price", "ap"); w.number(unit.askPrice)
                k("bid_price", "bp"); w.number(unit.bidPrice)
                k("ask_size", "as"); w.number(unit.askSize)
                k("bid_size", "bs"); w.number(unit.bidSize)
                w.endObject()
            }
            w.endArray()
            streamType()
            // Bithumb writes level 1 on books that were not grouped.
            k("level", "lv"); w.number(bithumb && book.level.isZero ? 1 : book.level)
            return
        case .candle(let candle):
            let c = UpbitCandle(candle)
            code()
            k("candle_date_time_utc", "cdttmu"); w.string(c.startUTC)
            k("candle_date_time_kst", "cdttmk"); w.string(c.startKST)
            k("opening_price", "op"); w.number(c.openingPrice)
            k("high_price", "hp"); w.number(c.highPrice)
            k("low_price", "lp"); w.number(c.lowPrice)
            k("trade_price", "tp"); w.number(c.tradePrice)
            k("candle_acc_trade_volume", "catv"); w.number(c.accTradeVolume)
            k("candle_acc_trade_price", "catp"); w.number(c.accTradePrice)
        case .myOrder(let o) where bithumb:
            // Bithumb's v2 names (DEFAULT only: its SIMPLE names are not documented).
            code()
            w.key("order_id"); w.string(o.uuid)
            w.key("side"); w.string(o.side == .bid ? "buy" : "sell")
            w.key("order_type"); w.string(o.orderType)
            w.key("state"); w.string(o.state)
            w.key("trade_id"); w.optional(o.tradeUUID)
            let isTrade = o.state == "trade"
            w.key("order_price"); if isTrade { w.null() } else { w.optional(o.price) }
            w.key("trade_price"); if isTrade { w.optional(o.price) } else { w.null() }
            w.key("avg_price"); w.optional(o.averagePrice)
            w.key("order_quantity"); if isTrade { w.null() } else { w.optional(o.volume) }
            w.key("trade_quantity"); if isTrade { w.optional(o.volume) } else { w.null() }
            w.key("remaining_volume"); w.optional(o.remainingVolume)
            w.key("executed_volume"); w.optional(o.executedVolume)
            w.key("executed_amount"); w.optional(o.executedFunds)
            w.key("paid_fee"); w.optional(o.paidFee)
            w.key("locked"); w.optional(o.locked)
            w.key("time_in_force"); w.optional(o.timeInForce)
            w.key("identifier"); w.optional(o.identifier)
            w.key("trade_timestamp")
            if let time = o.tradeTimestamp { w.integer(time.milliseconds) } else { w.null() }
            w.key("order_timestamp")
            if let time = o.orderTimestamp { w.integer(time.milliseconds) } else { w.null() }
        case .myOrder(let o):
            code()
            k("uuid", "uid"); w.string(o.uuid)
            k("ask_bid", "ab"); w.string(o.side.rawValue)
            k("order_type", "ot"); w.string(o.orderType)
            k("state", "s"); w.string(o.state)
            k("trade_uuid", "tuid"); w.optional(o.tradeUUID)
            k("price", "p"); w.optional(o.price)
            k("avg_price", "ap"); w.optional(o.averagePrice)
            k("volume", "v"); w.optional(o.volume)
            k("remaining_volume", "rv"); w.optional(o.remainingVolume)
            k("executed_volume", "ev"); w.optional(o.executedVolume)
            k("trades_count", "tc"); w.integer(Int64(o.tradesCount))
            k("reserved_fee", "rsf"); w.optional(o.reservedFee)
            k("remaining_fee", "rmf"); w.optional(o.remainingFee)
            k("paid_fee", "pf"); w.optional(o.paidFee)
            k("locked", "l"); w.optional(o.locked)
            k("executed_funds", "ef"); w.optional(o.executedFunds)
            k("time_in_force", "tif"); w.optional(o.timeInForce)
            k("trade_fee", "tf"); w.optional(o.tradeFee)
            k("is_maker", "im")
            if let maker = o.isMaker { w.bool(maker) } else { w.null() }
            k("identifier", "id"); w.optional(o.identifier)
            k("smp_type", "smpt"); w.null()
            k("prevented_volume", "pv"); w.number(.zero)
            k("prevented_locked", "pl"); w.number(.zero)
            k("trade_timestamp", "ttms")
            if let time = o.tradeTimestamp { w.integer(time.milliseconds) } else { w.null() }
            k("order_timestamp", "otms")
            if let time = o.orderTimestamp { w.integer(time.milliseconds) } else { w.null() }
        case .myAsset(let a):
            k("asset_uuid", "astuid"); w.string(a.assetUUID)
            k("assets", "ast")
            w.beginArray()
            for balance in a.assets {
                w.beginObject()
                k("currency", "cu"); w.string(balance.currency)
                // Bithumb writes balances as strings.
                k("balance", "b");
                if bithumb { w.string(balance.balance.description) } else { w.number(balance.balance) }
                k("locked", "l"); if bithumb { w.string(balance.locked.description) } else { w.number(balance.locked) }
                w.endObject()
            }
            w.endArray()
            k("asset_timestamp", "asttms"); w.integer(a.assetTimestamp.milliseconds)
        case .custom(let custom):
            code()
            for (name, value) in custom.fields {
                w.key(name)
                w.number(value)
            }
        }
        timestamp()
        streamType()
    }

    /// The event in a connection's format (lists wrap the object in an array).
    /// - Parameter variant: Upbit's spelling (default) or Bithumb's.
    public static func encode(_ event: MarketEvent, format: UpbitFormat, variant: UpbitWireVariant = .upbit) -> [UInt8]
    {
        let object = encode(event, simple: format.isSimple, variant: variant)
        guard format.isList else { return object }
        return [UInt8(ascii: "[")] + object + [UInt8(ascii: "]")]
    }
}
