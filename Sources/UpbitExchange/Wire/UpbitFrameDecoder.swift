import MarketStreamCore
import UpbitWire

/// Decodes Upbit WebSocket frames — DEFAULT, SIMPLE, JSON_LIST and SIMPLE_LIST — into typed events
/// with exact decimals, with a purpose-built byte scanner instead of a general JSON decoder.
///
/// The `type` field (which Upbit writes first) selects the data type's key table; one pass then
/// records each field's byte range, predicting every key from Upbit's key order, and reads nested
/// arrays where they stand; fields are then read straight from the bytes. Any key order decodes.
/// Unknown keys are ignored; missing required fields, wrong field types and broken JSON are typed
/// errors.
///
/// A dialect other than Upbit's changes what the numbers mean, not how they are read: Bithumb's
/// order-book timestamps are microseconds, its ungrouped books say `"level":1`, and its trade
/// dates and times are KST (rewritten to UTC from `trade_timestamp`).
public struct UpbitFrameDecoder: Sendable {
    private let tables = UpbitKeyTables.shared
    private let orderbookTimestampsInMicroseconds: Bool
    private let dateStringsInKST: Bool
    private let ungroupedLevel: ExactDecimal

    /// Creates a decoder.
    /// - Parameter dialect: The venue whose frames it reads (Upbit by default).
    public init(dialect: UpbitDialect = .upbit) {
        orderbookTimestampsInMicroseconds = dialect.orderbookTimestampUnit == .microseconds
        dateStringsInKST = dialect.dateStringsInKST
        ungroupedLevel = dialect.ungroupedOrderbookLevel
    }

    /// Decodes one frame.
    /// - Parameters:
    ///   - bytes: The frame's payload (UTF-8 JSON).
    ///   - context: Stamps for the events.
    ///   - output: Where events and control messages go.
    /// - Throws: ``MarketStreamError`` with `.malformedFrame`.
    public func decode(_ bytes: [UInt8], context: DecodeContext, into output: inout DecodedFrame)
        throws(MarketStreamError)
    {
        try bytes.withUnsafeBufferPointer { (buffer) throws(MarketStreamError) in
            try decode(buffer, context: context, into: &output)
        }
    }

    /// Decodes one frame from bytes valid for the duration of the call (a view of the transport's
    /// read buffer).
    /// - Parameters:
    ///   - buffer: The frame's payload (UTF-8 JSON).
    ///   - context: Stamps for the events.
    ///   - output: Where events and control messages go.
    /// - Throws: ``MarketStreamError`` with `.malformedFrame`.
    public func decode(_ buffer: UnsafeBufferPointer<UInt8>, context: DecodeContext, into output: inout DecodedFrame)
        throws(MarketStreamError)
    {
        let result: Result<Void, MarketStreamError> = {
            do {
                var scanner = JSONScanner(buffer)
                if try scanner.peek() == UInt8(ascii: "[") {
                    try scanner.expect(UInt8(ascii: "["))
                    if try !scanner.consume(UInt8(ascii: "]")) {
                        repeat {
                            try decodeObject(&scanner, context: context, into: &output)
                        } while try scanner.consume(UInt8(ascii: ","))
                        try scanner.expect(UInt8(ascii: "]"))
                    }
                } else {
                    try decodeObject(&scanner, context: context, into: &output)
                }
                scanner.skipWhitespace()
                guard scanner.isAtEnd else { throw DecodeFailure.malformed("trailing bytes after the JSON value") }
                return .success(())
            } catch let failure as DecodeFailure {
                return .failure(MarketStreamError(.malformedFrame, failure.message, exchange: context.exchange))
            } catch {
                return .failure(MarketStreamError(.malformedFrame, "malformed JSON", exchange: context.exchange))
            }
        }()
        try result.get()
    }

    // MARK: - Objects

    private struct Entry {
        var key: Range<Int>
        var kind: JSONScanner.ValueKind
        var value: Range<Int>
    }

    private struct DecodeFailure: Error {
        var message: String
        static func malformed(_ message: String) -> DecodeFailure { DecodeFailure(message: message) }
    }

    /// The value of each field of one object (indexed by `UpbitField.rawValue`).
    private struct Slots: ~Copyable {
        let storage: UnsafeMutableBufferPointer<Slot?>
        let bytes: UnsafeBufferPointer<UInt8>

        @inline(__always)
        subscript(field: UpbitField) -> Slot? { storage[field.rawValue] }

        func decimal(_ field: UpbitField) throws(DecodeFailure) -> ExactDecimal {
            guard let slot = self[field] else { throw .malformed("missing field \(field)") }
            guard slot.kind == .number || slot.kind == .string,
                let value = ExactDecimal(utf8: UnsafeBufferPointer(rebasing: bytes[slot.range]))
            else { throw .malformed("field \(field) is not a number") }
            return value
        }

        func optionalDecimal(_ field: UpbitField) throws(DecodeFailure) -> ExactDecimal? {
            guard let slot = self[field], slot.kind != .null else { return nil }
            return try decimal(field)
        }

        func int64(_ field: UpbitField) throws(DecodeFailure) -> Int64 {
            guard let slot = self[field], slot.kind == .number else {
                throw .malformed("missing or non-integer \(field)")
            }
            let scanner = JSONScanner(bytes)
            guard let value = scanner.int64(slot.range) else {
                throw .malformed("field \(field) is not a 64-bit integer")
            }
            return value
        }

        func optionalInt64(_ field: UpbitField) throws(DecodeFailure) -> Int64? {
            guard let slot = self[field], slot.kind != .null else { return nil }
            return try int64(field)
        }

        func string(_ field: UpbitField) throws(DecodeFailure) -> String {
            guard let slot = self[field], slot.kind == .string else {
                throw .malformed("missing or non-string \(field)")
            }
            return String(decoding: UnsafeBufferPointer(rebasing: bytes[slot.range]), as: UTF8.self)
        }

        func optionalString(_ field: UpbitField) throws(DecodeFailure) -> String? {
            guard let slot = self[field], slot.kind != .null else { return nil }
            return try string(field)
        }

        func optionalBool(_ field: UpbitField) throws(DecodeFailure) -> Bool? {
            guard let slot = self[field] else { return nil }
            switch slot.kind {
            case .true: return true
            case .false: return false
            case .null: return nil
            default: throw .malformed("field \(field) is not a boolean")
            }
        }

        func equals(_ field: UpbitField, _ text: StaticString) -> Bool {
            guard let slot = self[field], slot.kind == .string else { return false }
            return JSONScanner(bytes).equals(slot.range, text)
        }
    }

    /// The payload family a frame's `type` names.
    private enum FrameType {
        case ticker, trade, orderbook, candle, myOrder, myAsset
    }

    private typealias Slot = (kind: JSONScanner.ValueKind, range: Range<Int>)

    /// Finds the object's `type` (or `ty`), then reads every member straight into its slot in one
    /// pass. Upbit writes `type` first, so finding it reads one member; any other order scans the
    /// object once more. An object without a type is a control frame.
    private func decodeObject(_ scanner: inout JSONScanner, context: DecodeContext, into output: inout DecodedFrame)
        throws
    {
        let bytes = scanner.bytes
        let objectStart = scanner.position
        guard let (typeRange, simple, leading) = try findType(&scanner) else {
            scanner.position = objectStart
            try decodeControl(&scanner, context: context, into: &output)
            return
        }
        let (type, kind, family) = try classify(type: typeRange, in: bytes)
        let table = simple ? family.simple : family.full
        // A leading type was read already: go on after it. Otherwise read the object from its start.
        let hasMembers: Bool
        if leading {
            hasMembers = try scanner.consume(UInt8(ascii: ","))
            if !hasMembers { try scanner.expect(UInt8(ascii: "}")) }
        } else {
            scanner.position = objectStart
            try scanner.expect(UInt8(ascii: "{"))
            hasMembers = try !scanner.consume(UInt8(ascii: "}"))
        }
        try withUnsafeTemporaryAllocation(of: Optional<Slot>.self, capacity: UpbitField.count) { storage in
            storage.initialize(repeating: nil)
            var arrays = NestedArrays()
            let nested: UpbitField? =
                switch type {
                case .orderbook: .orderbookUnits
                case .myAsset: .assets
                default: nil
                }
            if hasMembers {
                // The closure is passed straight in, so it stays on the stack (no box per frame).
                try readMembers(
                    &scanner, table: table, next: leading ? table.predictionIndex(after: .type) : 0, into: storage,
                    nested: nested
                ) { scanner in
                    if type == .orderbook {
                        arrays.units = try units(&scanner, simple: simple)
                    } else {
                        arrays.balances = try balances(&scanner, simple: simple)
                    }
                }
            }
            let slots = Slots(storage: storage, bytes: bytes)
            output.events.append(
                try event(type: type, kind: kind, slots: slots, arrays: arrays, context: context))
        }
    }

    /// The range of the object's `type` value, whether it was spelled `ty` (SIMPLE) and whether it
    /// was the first member; `nil` for an object without one. Stops right after the type, which
    /// Upbit writes first.
    private func findType(_ scanner: inout JSONScanner) throws -> (Range<Int>, simple: Bool, leading: Bool)? {
        try scanner.expect(UInt8(ascii: "{"))
        if try scanner.consume(UInt8(ascii: "}")) { return nil }
        var leading = true
        repeat {
            let key = try scanner.stringRange()
            try scanner.expect(UInt8(ascii: ":"))
            let (kind, value) = try scanner.value()
            if kind == .string {
                if scanner.equals(key, "type") { return (value, false, leading) }
                if scanner.equals(key, "ty") { return (value, true, leading) }
            }
            leading = false
        } while try scanner.consume(UInt8(ascii: ","))
        try scanner.expect(UInt8(ascii: "}"))
        return nil
    }

    /// A status, error or subscription-list frame.
    private func decodeControl(_ scanner: inout JSONScanner, context: DecodeContext, into output: inout DecodedFrame)
        throws
    {
        let bytes = scanner.bytes
        try withUnsafeTemporaryAllocation(of: Entry.self, capacity: 64) { entries in
            var count = 0
            try scanner.expect(UInt8(ascii: "{"))
            if try !scanner.consume(UInt8(ascii: "}")) {
                repeat {
                    let key = try scanner.stringRange()
                    try scanner.expect(UInt8(ascii: ":"))
                    let (kind, value) = try scanner.value()
                    guard count < entries.count else { throw DecodeFailure.malformed("too many keys") }
                    entries[count] = Entry(key: key, kind: kind, value: value)
                    count += 1
                } while try scanner.consume(UInt8(ascii: ","))
                try scanner.expect(UInt8(ascii: "}"))
            }
            try interpretControl(
                entries: UnsafeMutableBufferPointer(rebasing: entries[0..<count]), bytes: bytes, context: context,
                into: &output)
        }
    }

    /// Reads an object's `"key":value` members (at least one) up to and including its closing brace into the
    /// slots of `table`'s fields, predicting each key from Upbit's order (`next`: the index of the
    /// first key expected) and looking up only the keys that break it.
    ///
    /// `nested` reads the array of objects of one field (a book's levels, an account's balances)
    /// where it stands, so it is scanned once rather than skipped and then parsed.
    @inline(__always)
    private func readMembers(
        _ scanner: inout JSONScanner, table: UpbitKeyTable, next: Int, into storage: UnsafeMutableBufferPointer<Slot?>,
        nested: UpbitField? = nil, readNested: (inout JSONScanner) throws -> Void = { _ in }
    ) throws {
        let bytes = scanner.bytes
        var next = next
        repeat {
            scanner.skipWhitespace()
            let field: UpbitField?
            if let (predicted, end) = table.predicted(next, at: scanner.position, in: bytes) {
                field = predicted
                scanner.position = end
                next += 1
            } else {
                field = table.field(key: try scanner.stringRange(), in: bytes)
                if let field { next = table.predictionIndex(after: field) }
            }
            try scanner.expect(UInt8(ascii: ":"))
            if let nested, field == nested, try scanner.peek() == UInt8(ascii: "[") {
                let start = scanner.position
                try readNested(&scanner)
                storage[nested.rawValue] = (.array, start..<scanner.position)
                continue
            }
            let (valueKind, value) = try scanner.value()
            if let field { storage[field.rawValue] = (valueKind, value) }
        } while try scanner.consume(UInt8(ascii: ","))
        try scanner.expect(UInt8(ascii: "}"))
    }

    /// The payload family, data kind and key tables of a frame's `type` value.
    private func classify(type range: Range<Int>, in bytes: UnsafeBufferPointer<UInt8>) throws(DecodeFailure)
        -> (FrameType, DataKind, (full: UpbitKeyTable, simple: UpbitKeyTable))
    {
        let probe = JSONScanner(bytes)
        if probe.equals(range, "ticker") { return (.ticker, .ticker, tables.ticker) }
        if probe.equals(range, "trade") { return (.trade, .trade, tables.trade) }
        if probe.equals(range, "orderbook") { return (.orderbook, .orderbook, tables.orderbook) }
        if probe.equals(range, "myOrder") { return (.myOrder, .myOrder, tables.myOrder) }
        if probe.equals(range, "myAsset") { return (.myAsset, .myAsset, tables.myAsset) }
        if let candle = try? DataKind(parsing: probe.string(range)), candle.candleInterval != nil {
            return (.candle, candle, tables.candle)
        }
        throw .malformed("unknown type '\(probe.string(range).prefix(32))'")
    }

    /// The arrays of objects read during the pass.
    private struct NestedArrays {
        var units: [Orderbook.Unit]?
        var balances: [MyAsset.Balance]?
    }

    private func event(
        type: FrameType, kind: DataKind, slots: borrowing Slots, arrays: NestedArrays, context: DecodeContext
    ) throws(DecodeFailure) -> MarketEvent {
        let market: MarketCode
        if type == .myAsset {
            market = .account
        } else {
            guard let slot = slots[.code], slot.kind == .string else { throw .malformed("missing or non-string code") }
            guard let parsed = MarketCode(utf8: UnsafeBufferPointer(rebasing: slots.bytes[slot.range])) else {
                throw .malformed("invalid code '\(try slots.string(.code).prefix(32))'")
            }
            market = parsed
        }
        let stream: StreamKind = slots.equals(.streamType, "SNAPSHOT") ? .snapshot : .realtime
        let stamp = try slots.int64(.timestamp)
        let timestamp =
            type == .orderbook && orderbookTimestampsInMicroseconds
            ? UnixTime(nanoseconds: stamp &* 1_000) : UnixTime(milliseconds: stamp)
        let payload: MarketPayload
        switch type {
        case .ticker:
            var ticker = try ticker(slots)
            // Upbit's ticker writes `yyyyMMdd` and `HHmmss`.
            if let utc = utcTime(of: ticker.tradeTimestamp) {
                (ticker.tradeDate, ticker.tradeTime) = (utc.compactDate, utc.compactTime)
            }
            payload = .ticker(ticker.normalised)
        case .trade:
            var trade = try trade(slots)
            // Upbit's trade writes `yyyy-MM-dd` and `HH:mm:ss`.
            if let utc = utcTime(of: trade.tradeTimestamp) {
                (trade.tradeDate, trade.tradeTime) = (utc.dashedDate, utc.colonTime)
            }
            payload = .trade(trade.normalised)
        case .orderbook: payload = .orderbook(try orderbook(slots, units: arrays.units))
        case .myOrder: payload = .myOrder(try myOrder(slots))
        case .myAsset: payload = .myAsset(try myAsset(slots, balances: arrays.balances))
        case .candle: payload = .candle(try candle(slots))
        }
        return MarketEvent(
            exchange: context.exchange, kind: kind, market: market, stream: stream, timestamp: timestamp,
            receivedAt: context.receivedAt, generation: context.generation, payload: payload)
    }

    // MARK: - Payloads

    /// The UTC calendar time of a trade, when the venue's date strings are not UTC (Bithumb's KST)
    /// and so must be rewritten from its timestamp; `nil` when they can be kept as sent.
    private func utcTime(of tradeTimestamp: UnixTime) -> CivilTime? {
        dateStringsInKST ? CivilTime(milliseconds: tradeTimestamp.milliseconds) : nil
    }

    private func side(_ slots: borrowing Slots) throws(DecodeFailure) -> TradeSide {
        if slots.equals(.askBid, "ASK") { return .ask }
        if slots.equals(.askBid, "BID") { return .bid }
        // Bithumb's myOrder v2 `side`.
        if slots.equals(.askBid, "sell") { return .ask }
        if slots.equals(.askBid, "buy") { return .bid }
        throw .malformed("ask_bid is neither ASK nor BID")
    }

    private func change(_ slots: borrowing Slots) throws(DecodeFailure) -> PriceChange {
        if slots.equals(.change, "RISE") { return .rise }
        if slots.equals(.change, "FALL") { return .fall }
        if slots.equals(.change, "EVEN") { return .even }
        throw .malformed("change is not RISE, EVEN or FALL")
    }

    private func ticker(_ s: borrowing Slots) throws(DecodeFailure) -> UpbitTicker {
        UpbitTicker(
            tradePrice: try s.decimal(.tradePrice), openingPrice: try s.decimal(.openingPrice),
            highPrice: try s.decimal(.highPrice), lowPrice: try s.decimal(.lowPrice),
            prevClosingPrice: try s.decimal(.prevClosingPrice), change: try change(s),
            changePrice: try s.decimal(.changePrice), signedChangePrice: try s.decimal(.signedChangePrice),
            changeRate: try s.decimal(.changeRate), signedChangeRate: try s.decimal(.signedChangeRate),
            tradeVolume: try s.decimal(.tradeVolume), accTradeVolume: try s.decimal(.accTradeVolume),
            accTradeVolume24h: try s.decimal(.accTradeVolume24h), accTradePrice: try s.decimal(.accTradePrice),
            accTradePrice24h: try s.decimal(.accTradePrice24h), tradeDate: try s.string(.tradeDate),
            tradeTime: try s.string(.tradeTime), tradeTimestamp: UnixTime(milliseconds: try s.int64(.tradeTimestamp)),
            askBid: try side(s), accAskVolume: try s.decimal(.accAskVolume), accBidVolume: try s.decimal(.accBidVolume),
            highest52WeekPrice: try s.decimal(.highest52WeekPrice), highest52WeekDate: try s.string(.highest52WeekDate),
            lowest52WeekPrice: try s.decimal(.lowest52WeekPrice), lowest52WeekDate: try s.string(.lowest52WeekDate),
            marketState: try s.string(.marketState), isTradingSuspended: try s.optionalBool(.isTradingSuspended),
            delistingDate: try delistingDate(s), marketWarning: try s.optionalString(.marketWarning))
    }

    /// `delisting_date` is `null`, a string, or an object `{year, month, day}`.
    private func delistingDate(_ s: borrowing Slots) throws(DecodeFailure) -> String? {
        guard let slot = s[.delistingDate] else { return nil }
        switch slot.kind {
        case .null: return nil
        case .string where slot.range.isEmpty: return nil  // Bithumb's null
        case .string: return try s.string(.delistingDate)
        case .object:
            var scanner = JSONScanner(s.bytes, position: slot.range.lowerBound)
            var parts: [String: Int64] = [:]
            do {
                try scanner.expect(UInt8(ascii: "{"))
                if try !scanner.consume(UInt8(ascii: "}")) {
                    repeat {
                        let key = try scanner.stringRange()
                        try scanner.expect(UInt8(ascii: ":"))
                        let (kind, value) = try scanner.value()
                        if kind == .number, let number = scanner.int64(value) { parts[scanner.string(key)] = number }
                    } while try scanner.consume(UInt8(ascii: ","))
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

    private func trade(_ s: borrowing Slots) throws(DecodeFailure) -> UpbitTrade {
        UpbitTrade(
            tradePrice: try s.decimal(.tradePrice), tradeVolume: try s.decimal(.tradeVolume), side: try side(s),
            sequentialID: try s.int64(.sequentialID), prevClosingPrice: try s.decimal(.prevClosingPrice),
            change: try change(s), changePrice: try s.decimal(.changePrice), tradeDate: try s.string(.tradeDate),
            tradeTime: try s.string(.tradeTime), tradeTimestamp: UnixTime(milliseconds: try s.int64(.tradeTimestamp)),
            bestAskPrice: try s.optionalDecimal(.bestAskPrice), bestAskSize: try s.optionalDecimal(.bestAskSize),
            bestBidPrice: try s.optionalDecimal(.bestBidPrice), bestBidSize: try s.optionalDecimal(.bestBidSize))
    }

    private func orderbook(_ s: borrowing Slots, units: [Orderbook.Unit]?) throws(DecodeFailure) -> Orderbook {
        guard let units else { throw .malformed("missing orderbook_units") }
        let level = try s.optionalDecimal(.level) ?? .zero
        return Orderbook(
            totalAskSize: try s.decimal(.totalAskSize), totalBidSize: try s.decimal(.totalBidSize), units: units,
            level: level == ungroupedLevel ? .zero : level)
    }

    /// A book's levels, from the array at the scanner (which ends past it).
    private func units(_ scanner: inout JSONScanner, simple: Bool) throws(DecodeFailure) -> [Orderbook.Unit] {
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

    private func candle(_ s: borrowing Slots) throws(DecodeFailure) -> Candle {
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

    private func myOrder(_ s: borrowing Slots) throws(DecodeFailure) -> MyOrder {
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

    private func myAsset(_ s: borrowing Slots, balances: [MyAsset.Balance]?) throws(DecodeFailure) -> MyAsset {
        guard let balances else { throw .malformed("missing assets") }
        return MyAsset(
            assetUUID: try s.string(.assetUUID), assets: balances,
            assetTimestamp: UnixTime(milliseconds: try s.int64(.assetTimestamp)))
    }

    /// An account's balances, from the array at the scanner (which ends past it).
    private func balances(_ scanner: inout JSONScanner, simple: Bool) throws(DecodeFailure) -> [MyAsset.Balance] {
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
    private func forEachObject(
        _ scanner: inout JSONScanner, keys: UpbitKeyTable, _ body: (borrowing Slots) throws(DecodeFailure) -> Void
    ) throws(DecodeFailure) {
        let bytes = scanner.bytes
        let result: Result<Void, DecodeFailure> = withUnsafeTemporaryAllocation(
            of: Optional<Slot>.self, capacity: UpbitField.count
        ) { storage in
            do {
                try scanner.expect(UInt8(ascii: "["))
                if try scanner.consume(UInt8(ascii: "]")) { return .success(()) }
                storage.initialize(repeating: nil)
                repeat {
                    // Only this table's fields are ever set, so only they need clearing.
                    keys.forEachField { storage[$0.rawValue] = nil }
                    try scanner.expect(UInt8(ascii: "{"))
                    if try !scanner.consume(UInt8(ascii: "}")) {
                        try readMembers(&scanner, table: keys, next: 0, into: storage)
                    }
                    try body(Slots(storage: storage, bytes: bytes))
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

    // MARK: - Control frames

    private func interpretControl(
        entries: UnsafeMutableBufferPointer<Entry>, bytes: UnsafeBufferPointer<UInt8>, context: DecodeContext,
        into output: inout DecodedFrame
    ) throws {
        let probe = JSONScanner(bytes)
        for entry in entries {
            if probe.equals(entry.key, "status"), entry.kind == .string {
                output.controls.append(.status(probe.string(entry.value)))
                return
            }
            if probe.equals(entry.key, "error"), entry.kind == .object {
                var scanner = JSONScanner(bytes, position: entry.value.lowerBound)
                var name = "UNKNOWN"
                var message = ""
                try scanner.expect(UInt8(ascii: "{"))
                if try !scanner.consume(UInt8(ascii: "}")) {
                    repeat {
                        let key = try scanner.stringRange()
                        try scanner.expect(UInt8(ascii: ":"))
                        let (kind, value) = try scanner.value()
                        guard kind == .string else { continue }
                        if scanner.equals(key, "name") { name = scanner.string(value) }
                        if scanner.equals(key, "message") { message = scanner.string(value) }
                    } while try scanner.consume(UInt8(ascii: ","))
                }
                // A rejected token is an authentication failure: the router can fall back to REST at once.
                let code: MarketStreamError.Code = name == "INVALID_AUTH" ? .authenticationUnavailable : .exchangeError
                output.controls.append(
                    .exchangeError(MarketStreamError(code, "\(name): \(message)", exchange: context.exchange)))
                return
            }
            if (probe.equals(entry.key, "method") || probe.equals(entry.key, "mthd")) && entry.kind == .string {
                output.controls.append(
                    .subscriptionList(try subscriptionList(entries: entries, bytes: bytes, context: context)))
                return
            }
        }
        throw DecodeFailure.malformed("a frame without type, status, error or method")
    }

    /// The topics of a `LIST_SUBSCRIPTIONS` reply.
    private func subscriptionList(
        entries: UnsafeMutableBufferPointer<Entry>, bytes: UnsafeBufferPointer<UInt8>, context: DecodeContext
    ) throws -> [SubscriptionTopic] {
        let probe = JSONScanner(bytes)
        guard let result = entries.first(where: { probe.equals($0.key, "result") || probe.equals($0.key, "rslt") }),
            result.kind == .array
        else { return [] }
        var topics: [SubscriptionTopic] = []
        var scanner = JSONScanner(bytes, position: result.value.lowerBound)
        try scanner.expect(UInt8(ascii: "["))
        if try scanner.consume(UInt8(ascii: "]")) { return [] }
        repeat {
            var type: String?
            var codes: [String] = []
            try scanner.expect(UInt8(ascii: "{"))
            if try !scanner.consume(UInt8(ascii: "}")) {
                repeat {
                    let key = try scanner.stringRange()
                    try scanner.expect(UInt8(ascii: ":"))
                    if scanner.equals(key, "codes") || scanner.equals(key, "cds") {
                        try scanner.expect(UInt8(ascii: "["))
                        if try !scanner.consume(UInt8(ascii: "]")) {
                            repeat {
                                codes.append(scanner.string(try scanner.stringRange()))
                            } while try scanner.consume(
                                UInt8(ascii: ","))
                            try scanner.expect(UInt8(ascii: "]"))
                        }
                    } else {
                        let (kind, value) = try scanner.value()
                        if kind == .string && (scanner.equals(key, "type") || scanner.equals(key, "ty")) {
                            type = scanner.string(value)
                        }
                    }
                } while try scanner.consume(UInt8(ascii: ","))
                try scanner.expect(UInt8(ascii: "}"))
            }
            guard let type, let kind = try? DataKind(parsing: type) else { continue }
            if codes.isEmpty, kind.isPrivate {
                topics.append(SubscriptionTopic(exchange: context.exchange, kind: kind, market: .account))
            }
            for code in codes {
                var text = Substring(code)
                var codeKind = kind  // each code names its own depth
                if kind.isOrderbook, let dot = text.lastIndex(of: "."),
                    let depth = Int(text[text.index(after: dot)...]).flatMap(OrderbookDepth.init(rawValue:))
                {
                    codeKind = .orderbook(depth: depth)
                    text = text[..<dot]
                }
                if let market = try? MarketCode(String(text)) {
                    topics.append(SubscriptionTopic(exchange: context.exchange, kind: codeKind, market: market))
                }
            }
        } while try scanner.consume(UInt8(ascii: ","))
        return topics
    }
}
