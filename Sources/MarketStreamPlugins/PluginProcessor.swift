import CMarketStreamPluginABI
import MarketStreamCore
import MarketStreamPluginKit

/// The per-market state of a loaded plugin: the plugin's instance, fed through the C ABI.
struct PluginProcessor: DataTypeProcessor {
    private let instance: PluginInstance

    init(library: PluginLibrary, instance: UnsafeMutableRawPointer) {
        self.instance = PluginInstance(library: library, instance: instance)
    }

    mutating func process(_ event: MarketEvent) throws -> [MarketPayload] {
        try instance.process(event)
    }
}

/// Owns one plugin instance: destroys it when the last processor copy goes away, and keeps the
/// C strings and output buffer the calls need.
///
/// Not thread-safe: the router feeds one processor serially (the ABI's rule for instances).
final class PluginInstance {
    private let library: PluginLibrary
    private let instance: UnsafeMutableRawPointer
    // Unchecked exclusivity: the ABI serialises calls per instance, and the dynamic checks cost
    // more than the C plugin's own work (measured in Benchmarks/PluginBenchmarks).
    @exclusivity(unchecked) private var kindNames: [(kind: DataKind, cString: UnsafeMutablePointer<CChar>)] = []
    @exclusivity(unchecked) private var fieldNames = CStringInterner<String?>()
    @exclusivity(unchecked) fileprivate var outputs: [MarketPayload] = []

    init(library: PluginLibrary, instance: UnsafeMutableRawPointer) {
        self.library = library
        self.instance = instance
    }

    deinit {
        library.table.destroy?(library.table.context, instance)
        for entry in kindNames { entry.cString.deallocate() }
        fieldNames.removeAll()
    }

    /// Runs the plugin on one event.
    /// - Throws: ``MarketStreamError/Code/handlerFailed`` with the plugin's message when it fails.
    func process(_ event: MarketEvent) throws(MarketStreamError) -> [MarketPayload] {
        let kindName = cString(for: event.kind)
        let stream = event.stream == .snapshot ? MS_STREAM_SNAPSHOT : MS_STREAM_REALTIME
        func call(_ kind: UInt32, _ payload: UnsafeRawPointer) -> Int32 {
            var abiEvent = ms_event(
                kind: kind, stream: stream, timestamp_ms: event.timestamp.milliseconds,
                received_at_ms: event.receivedAt.milliseconds, kind_name: kindName, payload: payload)
            let sink = Unmanaged.passUnretained(self).toOpaque()
            return withUnsafePointer(to: &abiEvent) {
                library.table.process?(library.table.context, instance, $0, collect, sink)
            } ?? MS_ERR_FAILED
        }
        let rc: Int32
        switch event.payload {
        case .trade(let t):
            var trade = ms_trade(
                price: ms_decimal(t.price), volume: ms_decimal(t.size),
                side: t.side == .ask ? MS_SIDE_ASK : MS_SIDE_BID,
                reserved: 0, trade_timestamp_ms: t.time.milliseconds, sequential_id: t.id)
            rc = withUnsafePointer(to: &trade) { call(MS_KIND_TRADE, $0) }
        case .ticker(let t):
            var ticker = ms_ticker(
                trade_price: ms_decimal(t.price), opening_price: ms_decimal(t.open ?? t.price),
                high_price: ms_decimal(t.high ?? t.price), low_price: ms_decimal(t.low ?? t.price),
                prev_closing_price: ms_decimal(t.previousClose ?? t.open ?? t.price),
                signed_change_rate: ms_decimal(t.changeRate ?? .zero), trade_volume: ms_decimal(t.lastSize ?? .zero),
                acc_trade_volume_24h: ms_decimal(t.volume24h),
                acc_trade_price_24h: ms_decimal(t.quoteVolume24h ?? .zero),
                trade_timestamp_ms: t.time.milliseconds)
            rc = withUnsafePointer(to: &ticker) { call(MS_KIND_TICKER, $0) }
        case .orderbook(let book):
            rc = withUnsafeTemporaryAllocation(of: ms_orderbook_unit.self, capacity: max(book.units.count, 1)) {
                units in
                for (index, unit) in book.units.enumerated() {
                    units[index] = ms_orderbook_unit(
                        ask_price: ms_decimal(unit.askPrice), bid_price: ms_decimal(unit.bidPrice),
                        ask_size: ms_decimal(unit.askSize), bid_size: ms_decimal(unit.bidSize))
                }
                var abiBook = ms_orderbook(
                    units: UnsafePointer(units.baseAddress), unit_count: book.units.count,
                    total_ask_size: ms_decimal(book.totalAskSize), total_bid_size: ms_decimal(book.totalBidSize),
                    level: ms_decimal(book.level))
                return withUnsafePointer(to: &abiBook) { call(MS_KIND_ORDERBOOK, $0) }
            }
        case .candle(let c):
            var candle = ms_candle(
                opening_price: ms_decimal(c.open), high_price: ms_decimal(c.high), low_price: ms_decimal(c.low),
                trade_price: ms_decimal(c.close), acc_trade_volume: ms_decimal(c.volume),
                acc_trade_price: ms_decimal(c.quoteVolume))
            rc = withUnsafePointer(to: &candle) { call(MS_KIND_CANDLE, $0) }
        case .myOrder, .myAsset, .custom:
            return []
        }
        let produced = outputs
        outputs = []
        guard rc == MS_OK else {
            let message = library.table.last_error?(library.table.context, instance).map { String(cString: $0) }
            throw MarketStreamError(
                .handlerFailed,
                "plugin \(library.name) failed on \(event.kind) \(event.market): \(message ?? "code \(rc)")")
        }
        return produced
    }

    /// The kind's text form as a C string, converted once per kind.
    private func cString(for kind: DataKind) -> UnsafePointer<CChar> {
        if let entry = kindNames.first(where: { $0.kind == kind }) { return UnsafePointer(entry.cString) }
        let cString = makeCString(kind.description)
        kindNames.append((kind, cString))
        return UnsafePointer(cString)
    }

    /// Copies one emitted output; `MS_ERR_BAD_ARGUMENT` for an invalid field.
    fileprivate func append(_ fields: UnsafeBufferPointer<ms_field>) -> Int32 {
        var names: [String] = []
        var values: [ExactDecimal] = []
        names.reserveCapacity(fields.count)
        values.reserveCapacity(fields.count)
        for (position, field) in fields.enumerated() {
            guard let namePointer = field.name,
                let name = fieldNames.value(
                    for: namePointer, hint: position, make: { Self.isValidFieldName($0) ? $0 : nil }),
                let value = ExactDecimal(abi: field.value)
            else {
                return MS_ERR_BAD_ARGUMENT
            }
            names.append(name)
            values.append(value)
        }
        outputs.append(.custom(CustomPayload(names: names, values: values)))
        return MS_OK
    }

    private static func isValidFieldName(_ name: String) -> Bool {
        !name.isEmpty
            && name.utf8.allSatisfy { byte in
                (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                    || byte == 0x5F
            }
    }
}

/// The host's `ms_emit_fn`: `sink` is the unretained ``PluginInstance`` making the call.
private func collect(_ sink: UnsafeMutableRawPointer?, _ fields: UnsafePointer<ms_field>?, _ count: Int) -> Int32 {
    guard let sink, let fields, count > 0 else { return MS_ERR_BAD_ARGUMENT }
    let instance = Unmanaged<PluginInstance>.fromOpaque(sink).takeUnretainedValue()
    return instance.append(UnsafeBufferPointer(start: fields, count: count))
}
