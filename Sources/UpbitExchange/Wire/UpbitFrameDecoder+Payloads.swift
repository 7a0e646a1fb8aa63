import MarketStreamCore
import UpbitWire

/// Building each data type's payload from the slots of one object: the ticker, trade, order
/// book, candle, myOrder and myAsset, and the arrays of objects nested in them.
extension UpbitFrameDecoder {
    /// The UTC calendar time of a trade, when the venue's date strings are not UTC (Bithumb's KST)
    /// and so must be rewritten from its timestamp; `nil` when they can be kept as sent.
    func utcTime(of tradeTimestamp: UnixTime) -> CivilTime? {
        dateStringsInKST ? CivilTime(milliseconds: tradeTimestamp.milliseconds) : nil
    }

    /// A trade's time, and its date and time as the frame wrote them: in UTC, or rewritten from
    /// the time with `written` when the venue's date strings are not UTC (Bithumb's KST); either
    /// way both must be there, as strings.
    func tradeTime(_ s: borrowing Slots, written: (CivilTime) -> (date: String, time: String))
        throws(DecodeFailure) -> (UnixTime, date: String, time: String)
    {
        let timestamp = UnixTime(milliseconds: try s.int64(.tradeTimestamp))
        let (date, time) = (try s.string(.tradeDate), try s.string(.tradeTime))
        guard let utc = utcTime(of: timestamp) else { return (timestamp, date, time) }
        let rewritten = written(utc)
        return (timestamp, rewritten.date, rewritten.time)
    }

    func side(_ slots: borrowing Slots) throws(DecodeFailure) -> TradeSide {
        if slots.equals(.askBid, "ASK") { return .ask }
        if slots.equals(.askBid, "BID") { return .bid }
        // Bithumb's myOrder v2 `side`.
        if slots.equals(.askBid, "sell") { return .ask }
        if slots.equals(.askBid, "buy") { return .bid }
        throw .malformed("ask_bid is neither ASK nor BID")
    }

    func change(_ slots: borrowing Slots) throws(DecodeFailure) -> PriceChange {
        if slots.equals(.change, "RISE") { return .rise }
        if slots.equals(.change, "FALL") { return .fall }
        if slots.equals(.change, "EVEN") { return .even }
        throw .malformed("change is not RISE, EVEN or FALL")
    }

    func ticker(_ s: borrowing Slots) throws(DecodeFailure) -> UpbitTicker {
        // Upbit's ticker writes `yyyyMMdd` and `HHmmss`.
        let (tradeTimestamp, tradeDate, tradeTime) = try tradeTime(s) { ($0.compactDate, $0.compactTime) }
        return UpbitTicker(
            tradePrice: try s.decimal(.tradePrice), openingPrice: try s.decimal(.openingPrice),
            highPrice: try s.decimal(.highPrice), lowPrice: try s.decimal(.lowPrice),
            prevClosingPrice: try s.decimal(.prevClosingPrice), change: try change(s),
            changePrice: try s.decimal(.changePrice), signedChangePrice: try s.decimal(.signedChangePrice),
            changeRate: try s.decimal(.changeRate), signedChangeRate: try s.decimal(.signedChangeRate),
            tradeVolume: try s.decimal(.tradeVolume), accTradeVolume: try s.decimal(.accTradeVolume),
            accTradeVolume24h: try s.decimal(.accTradeVolume24h), accTradePrice: try s.decimal(.accTradePrice),
            accTradePrice24h: try s.decimal(.accTradePrice24h), tradeDate: tradeDate,
            tradeTime: tradeTime, tradeTimestamp: tradeTimestamp,
            askBid: try side(s), accAskVolume: try s.decimal(.accAskVolume), accBidVolume: try s.decimal(.accBidVolume),
            highest52WeekPrice: try s.decimal(.highest52WeekPrice), highest52WeekDate: try s.string(.highest52WeekDate),
            lowest52WeekPrice: try s.decimal(.lowest52WeekPrice), lowest52WeekDate: try s.string(.lowest52WeekDate),
            marketState: try marketState(s), isTradingSuspended: try s.optionalBool(.isTradingSuspended),
            delistingDate: try delistingDate(s), marketWarning: try marketWarning(s))
    }

    /// `market_state`: nearly always `ACTIVE`, which is then not made into a new string per frame.
    func marketState(_ s: borrowing Slots) throws(DecodeFailure) -> String {
        s.equals(.marketState, "ACTIVE") ? "ACTIVE" : try s.string(.marketState)
    }

    /// `market_warning`: nearly always `NONE`, which is then not made into a new string per frame.
    func marketWarning(_ s: borrowing Slots) throws(DecodeFailure) -> String? {
        s.equals(.marketWarning, "NONE") ? "NONE" : try s.optionalString(.marketWarning)
    }

    /// `delisting_date` is `null`, a string, or an object `{year, month, day}`.
    func delistingDate(_ s: borrowing Slots) throws(DecodeFailure) -> String? {
        guard let slot = s[.delistingDate] else { return nil }
        switch slot.kind {
        case .null: return nil
        case .string where slot.range.isEmpty: return nil  // Bithumb's null
        case .string: return try s.string(.delistingDate)
        case .object:
            var scanner = JSONScanner(s.bytes, position: slot.range.lowerBound)
            var parts: [String: Int64] = [:]
            do {
                try scanner.forEachMember { key, kind, value, scanner in
                    if kind == .number, let number = scanner.int64(value) { parts[scanner.string(key)] = number }
                }
            } catch {
                throw .malformed("delisting_date object is malformed")
            }
            guard let year = parts["year"], let month = parts["month"], let day = parts["day"] else {
                throw .malformed("delisting_date object lacks year, month or day")
            }
            func two(_ v: Int64) -> String { v < 10 ? "0\(v)" : "\(v)" }
            return "\(year)-\(two(month))-\(two(day))"
        default:
            throw .malformed("delisting_date has an unexpected type")
        }
    }

    func trade(_ s: borrowing Slots) throws(DecodeFailure) -> UpbitTrade {
        // Upbit's trade writes `yyyy-MM-dd` and `HH:mm:ss`.
        let (tradeTimestamp, tradeDate, tradeTime) = try tradeTime(s) { ($0.dashedDate, $0.colonTime) }
        return UpbitTrade(
            tradePrice: try s.decimal(.tradePrice), tradeVolume: try s.decimal(.tradeVolume), side: try side(s),
            sequentialID: try s.int64(.sequentialID), prevClosingPrice: try s.decimal(.prevClosingPrice),
            change: try change(s), changePrice: try s.decimal(.changePrice), tradeDate: tradeDate,
            tradeTime: tradeTime, tradeTimestamp: tradeTimestamp,
            bestAskPrice: try s.optionalDecimal(.bestAskPrice), bestAskSize: try s.optionalDecimal(.bestAskSize),
            bestBidPrice: try s.optionalDecimal(.bestBidPrice), bestBidSize: try s.optionalDecimal(.bestBidSize))
    }

    func orderbook(_ s: borrowing Slots, units: [Orderbook.Unit]?) throws(DecodeFailure) -> Orderbook {
        guard let units else { throw .malformed("missing orderbook_units") }
        let level = try s.optionalDecimal(.level) ?? .zero
        return Orderbook(
            totalAskSize: try s.decimal(.totalAskSize), totalBidSize: try s.decimal(.totalBidSize), units: units,
            level: level == ungroupedLevel ? .zero : level)
    }

    /// A book's levels, from the array at the scanner (which ends past it).
    func units(_ scanner: inout JSONScanner, simple: Bool) throws(DecodeFailure) -> [Orderbook.Unit] {
        let table = simple ? tables.orderbookUnit.simple : tables.orderbookUnit.full
        var decoded: [Orderbook.Unit] = []
        decoded.reserveCapacity(30)
        try forEachObject(&scanner, keys: table) { (slots: borrowing Slots) throws(DecodeFailure) in
            let unit = Orderbook.Unit(
                askPrice: try slots.decimal(.askPrice), bidPrice: try slots.decimal(.bidPrice),
                askSize: try slots.decimal(.askSize), bidSize: try slots.decimal(.bidSize))
            // A side with fewer orders than the depth is padded with zero slots.
            if !(unit.askPrice.isZero && unit.bidPrice.isZero) { decoded.append(unit) }
        }
        return decoded
    }

    func candle(_ s: borrowing Slots) throws(DecodeFailure) -> Candle {
        let candle = UpbitCandle(
            startUTC: try s.string(.candleDateTimeUTC), startKST: try s.string(.candleDateTimeKST),
            openingPrice: try s.decimal(.openingPrice), highPrice: try s.decimal(.highPrice),
            lowPrice: try s.decimal(.lowPrice), tradePrice: try s.decimal(.tradePrice),
            accTradeVolume: try s.decimal(.candleAccTradeVolume), accTradePrice: try s.decimal(.candleAccTradePrice))
        guard let normalised = candle.normalised else {
            throw .malformed("candle_date_time_utc is not a yyyy-MM-ddTHH:mm:ss time")
        }
        return normalised
    }

    func myOrder(_ s: borrowing Slots) throws(DecodeFailure) -> MyOrder {
        // Upbit's `price`/`volume` are the trade's when the state is `trade`; Bithumb's v2 sends the
        // trade's in `trade_price`/`trade_quantity` beside the order's.
        let isTrade = s.equals(.state, "trade")
        var price = isTrade ? try s.optionalDecimal(.tradePrice) : nil
        if price == nil { price = try s.optionalDecimal(.price) }
        var volume = isTrade ? try s.optionalDecimal(.tradeVolume) : nil
        if volume == nil { volume = try s.optionalDecimal(.volume) }
        return MyOrder(
            uuid: try s.string(.uuid), side: try side(s), orderType: try s.string(.orderType),
            state: try s.string(.state),
            tradeUUID: try s.optionalString(.tradeUUID), price: price,
            averagePrice: try s.optionalDecimal(.avgPrice), volume: volume,
            remainingVolume: try s.optionalDecimal(.remainingVolume),
            executedVolume: try s.optionalDecimal(.executedVolume),
            tradesCount: Int(try s.optionalInt64(.tradesCount) ?? 0), reservedFee: try s.optionalDecimal(.reservedFee),
            remainingFee: try s.optionalDecimal(.remainingFee), paidFee: try s.optionalDecimal(.paidFee),
            locked: try s.optionalDecimal(.locked), executedFunds: try s.optionalDecimal(.executedFunds),
            timeInForce: try s.optionalString(.timeInForce), tradeFee: try s.optionalDecimal(.tradeFee),
            isMaker: try s.optionalBool(.isMaker), identifier: try s.optionalString(.identifier),
            tradeTimestamp: try s.optionalInt64(.tradeTimestamp).map { UnixTime(milliseconds: $0) },
            orderTimestamp: try s.optionalInt64(.orderTimestamp).map { UnixTime(milliseconds: $0) })
    }

    func myAsset(_ s: borrowing Slots, balances: [MyAsset.Balance]?) throws(DecodeFailure) -> MyAsset {
        guard let balances else { throw .malformed("missing assets") }
        return MyAsset(
            assetUUID: try s.string(.assetUUID), assets: balances,
            assetTimestamp: UnixTime(milliseconds: try s.int64(.assetTimestamp)))
    }

    /// An account's balances, from the array at the scanner (which ends past it).
    func balances(_ scanner: inout JSONScanner, simple: Bool) throws(DecodeFailure) -> [MyAsset.Balance] {
        let table = simple ? tables.asset.simple : tables.asset.full
        var balances: [MyAsset.Balance] = []
        try forEachObject(&scanner, keys: table) { (slots: borrowing Slots) throws(DecodeFailure) in
            balances.append(
                MyAsset.Balance(
                    currency: try slots.string(.currency), balance: try slots.decimal(.balance),
                    locked: try slots.decimal(.locked)))
        }
        return balances
    }

    /// Calls `body` with the slots of each object in the array at the scanner, which ends past it.
    func forEachObject(
        _ scanner: inout JSONScanner, keys: UpbitKeyTable, _ body: (borrowing Slots) throws(DecodeFailure) -> Void
    ) throws(DecodeFailure) {
        let bytes = scanner.bytes
        let result: Result<Void, DecodeFailure> = withSlots(bytes: bytes) { slots in
            do {
                try scanner.expect(UInt8(ascii: "["))
                if try scanner.consume(UInt8(ascii: "]")) { return .success(()) }
                repeat {
                    slots.clear(keys)
                    try scanner.expect(UInt8(ascii: "{"))
                    if try !scanner.consume(UInt8(ascii: "}")) {
                        try readMembers(&scanner, table: keys, next: 0, into: &slots)
                    }
                    try body(slots)
                } while try scanner.consume(UInt8(ascii: ","))
                try scanner.expect(UInt8(ascii: "]"))
                return .success(())
            } catch let failure as DecodeFailure {
                return .failure(failure)
            } catch {
                return .failure(.malformed("malformed nested array"))
            }
        }
        try result.get()
    }
}
