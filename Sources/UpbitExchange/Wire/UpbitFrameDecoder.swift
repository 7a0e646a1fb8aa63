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
    let tables = UpbitKeyTables.shared
    let orderbookTimestampsInMicroseconds: Bool
    let dateStringsInKST: Bool
    let ungroupedLevel: ExactDecimal

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
        // Slots keep byte positions in 32 bits.
        guard buffer.count < Int(UInt32.max) else {
            throw MarketStreamError(.malformedFrame, "a frame of 4 GiB or more", exchange: context.exchange)
        }
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

    struct Entry {
        var key: Range<Int>
        var kind: JSONScanner.ValueKind
        var value: Range<Int>
    }

    struct DecodeFailure: Error {
        var message: String
        static func malformed(_ message: String) -> DecodeFailure { DecodeFailure(message: message) }
    }

    /// The payload family a frame's `type` names.
    enum FrameType {
        case ticker, trade, orderbook, candle, myOrder, myAsset
    }

    /// Finds the object's `type` (or `ty`), then reads every member straight into its slot in one
    /// pass. Upbit writes `type` first, so finding it reads one member; any other order scans the
    /// object once more. An object without a type is a control frame.
    func decodeObject(_ scanner: inout JSONScanner, context: DecodeContext, into output: inout DecodedFrame)
        throws
    {
        let bytes = scanner.bytes
        let objectStart = scanner.position
        guard let (typeRange, simple, leading) = try findType(&scanner) else {
            scanner.position = objectStart
            try decodeControl(&scanner, context: context, into: &output)
            return
        }
        let (type, kind) = try classify(type: typeRange, in: bytes)
        let table = tables.table(for: type, simple: simple)
        let hasMembers = try startMembers(&scanner, objectStart: objectStart, leading: leading)
        try withSlots(bytes: bytes) { slots in
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
                    &scanner, table: table, next: leading ? table.predictionIndex(after: .type) : 0, into: &slots,
                    nested: nested
                ) { scanner in
                    if type == .orderbook {
                        arrays.units = try units(&scanner, simple: simple)
                    } else {
                        arrays.balances = try balances(&scanner, simple: simple)
                    }
                }
            }
            slots.numbersArePlain = !scanner.readNumberTail
            output.events.append(
                try event(
                    type: type, kind: kind, slots: slots, arrays: arrays, object: objectStart..<scanner.position,
                    context: context))
        }
    }

    /// Moves the scanner to the object's members once its type was found: on after a leading type,
    /// which was read already, otherwise back to the object's start. Whether members follow.
    @inline(__always)
    func startMembers(_ scanner: inout JSONScanner, objectStart: Int, leading: Bool) throws -> Bool {
        if leading {
            let hasMembers = try scanner.consume(UInt8(ascii: ","))
            if !hasMembers { try scanner.expect(UInt8(ascii: "}")) }
            return hasMembers
        }
        scanner.position = objectStart
        try scanner.expect(UInt8(ascii: "{"))
        return try !scanner.consume(UInt8(ascii: "}"))
    }

    /// The range of the object's `type` value, whether it was spelled `ty` (SIMPLE) and whether it
    /// was the first member; `nil` for an object without one. Stops right after the type, which
    /// Upbit writes first.
    func findType(_ scanner: inout JSONScanner) throws -> (Range<Int>, simple: Bool, leading: Bool)? {
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
    func decodeControl(_ scanner: inout JSONScanner, context: DecodeContext, into output: inout DecodedFrame)
        throws
    {
        let bytes = scanner.bytes
        try withUnsafeTemporaryAllocation(of: Entry.self, capacity: 64) { entries in
            var count = 0
            try scanner.forEachMember { key, kind, value, _ in
                guard count < entries.count else { throw DecodeFailure.malformed("too many keys") }
                entries[count] = Entry(key: key, kind: kind, value: value)
                count += 1
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
    func readMembers(
        _ scanner: inout JSONScanner, table: UpbitKeyTable, next: Int, into slots: inout Slots,
        nested: UpbitField? = nil, readNested: (inout JSONScanner) throws -> Void = { _ in }
    ) throws {
        let bytes = scanner.bytes
        var next = next
        repeat {
            scanner.skipWhitespace()
            let field: UpbitField?
            if let (predicted, end) = table.predicted(next, at: scanner.position, in: bytes) {
                // The key and its colon.
                field = predicted
                scanner.position = end
                next += 1
            } else {
                field = table.field(key: try scanner.stringRange(), in: bytes)
                if let field { next = table.predictionIndex(after: field) }
                try scanner.expect(UInt8(ascii: ":"))
            }
            if let nested, field == nested, try scanner.peek() == UInt8(ascii: "[") {
                let start = scanner.position
                try readNested(&scanner)
                slots.set(nested, .array, start..<scanner.position)
                continue
            }
            let (valueKind, value) = try scanner.value()
            if let field { slots.set(field, valueKind, value) }
        } while try scanner.consume(UInt8(ascii: ","))
        try scanner.expect(UInt8(ascii: "}"))
    }

    /// The payload family and data kind of a frame's `type` value.
    func classify(type range: Range<Int>, in bytes: UnsafeBufferPointer<UInt8>) throws(DecodeFailure)
        -> (FrameType, DataKind)
    {
        let probe = JSONScanner(bytes)
        if probe.equals(range, "ticker") { return (.ticker, .ticker) }
        if probe.equals(range, "trade") { return (.trade, .trade) }
        if probe.equals(range, "orderbook") { return (.orderbook, .orderbook) }
        if probe.equals(range, "myOrder") { return (.myOrder, .myOrder) }
        if probe.equals(range, "myAsset") { return (.myAsset, .myAsset) }
        if let candle = try? DataKind(parsing: probe.string(range)), candle.candleInterval != nil {
            return (.candle, candle)
        }
        throw .malformed("unknown type '\(probe.string(range).prefix(32))'")
    }

    /// The arrays of objects read during the pass.
    struct NestedArrays {
        var units: [Orderbook.Unit]?
        var balances: [MyAsset.Balance]?
    }

    /// The event of one object (`object`: its bytes, which a ticker or trade keeps for its Upbit
    /// payload, decoded when asked for).
    func event(
        type: FrameType, kind: DataKind, slots: borrowing Slots, arrays: NestedArrays, object: Range<Int>,
        context: DecodeContext
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
        case .ticker: payload = .ticker(try tickerDeferringNative(slots, object: object))
        case .trade: payload = .trade(try tradeDeferringNative(slots, object: object))
        case .orderbook: payload = .orderbook(try orderbook(slots, units: arrays.units))
        case .myOrder: payload = .myOrder(try myOrder(slots))
        case .myAsset: payload = .myAsset(try myAsset(slots, balances: arrays.balances))
        case .candle: payload = .candle(try candle(slots))
        }
        return MarketEvent(
            exchange: context.exchange, kind: kind, market: market, stream: stream, timestamp: timestamp,
            receivedAt: context.receivedAt, generation: context.generation, payload: payload)
    }
}
