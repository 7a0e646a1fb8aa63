import CMarketStreamPluginABI
import MarketStreamCore

/// Exports a ``DataTypePlugin`` through MarketStream's C plugin ABI.
public enum PluginExport {
    /// Fills the plugin table for `plugin`. Call it from the library's exported entry function:
    ///
    /// ```swift
    /// @_cdecl("marketstream_plugin_entry")
    /// public func marketstreamPluginEntry(_ hostABIVersion: UInt32, _ table: UnsafeMutableRawPointer?) -> Int32 {
    ///     PluginExport.fill(table, hostABIVersion: hostABIVersion, with: SpreadPlugin.self)
    /// }
    /// ```
    /// - Parameters:
    ///   - table: The host's `ms_plugin_v1` table.
    ///   - hostABIVersion: The ABI version the host speaks.
    ///   - plugin: The plugin type.
    /// - Returns: `MS_OK`, `MS_ERR_ABI_MISMATCH` (after writing this kit's ABI version into the
    ///   table) or `MS_ERR_BAD_ARGUMENT` for a null table.
    public static func fill<Plugin: DataTypePlugin>(
        _ table: UnsafeMutableRawPointer?, hostABIVersion: UInt32, with plugin: Plugin.Type
    ) -> Int32 {
        guard let table else { return MS_ERR_BAD_ARGUMENT }
        let out = table.assumingMemoryBound(to: ms_plugin_v1.self)
        out.pointee.abi_version = MS_PLUGIN_ABI_VERSION
        guard hostABIVersion == MS_PLUGIN_ABI_VERSION else { return MS_ERR_ABI_MISMATCH }
        // Deliberately never released: a loaded library is never unloaded.
        let exported = ExportedPlugin(plugin)
        out.pointee = ms_plugin_v1(
            abi_version: MS_PLUGIN_ABI_VERSION,
            struct_size: UInt32(MemoryLayout<ms_plugin_v1>.size),
            name: UnsafePointer(exported.name),
            version: UnsafePointer(exported.version),
            produced_kind: UnsafePointer(exported.producedKind),
            consumed_kinds: UnsafePointer(exported.consumedKinds),
            consumed_kind_count: exported.consumedKindCount,
            context: Unmanaged.passRetained(exported).toOpaque(),
            create: { context, exchange, market in
                guard let context else { return nil }
                let exported = Unmanaged<ExportedPlugin>.fromOpaque(context).takeUnretainedValue()
                return exported.create(exchange: exchange, market: market)
            },
            destroy: { _, instance in
                guard let instance else { return }
                Unmanaged<ExportedInstance>.fromOpaque(instance).release()
            },
            process: { _, instance, event, emit, sink in
                guard let instance, let event, let emit else { return MS_ERR_BAD_ARGUMENT }
                let box = Unmanaged<ExportedInstance>.fromOpaque(instance).takeUnretainedValue()
                return box.process(event.pointee, emit: emit, sink: sink)
            },
            last_error: { context, instance in
                if let instance {
                    return UnsafePointer(
                        Unmanaged<ExportedInstance>.fromOpaque(instance).takeUnretainedValue().lastError.pointer)
                }
                guard let context else { return nil }
                return UnsafePointer(
                    Unmanaged<ExportedPlugin>.fromOpaque(context).takeUnretainedValue().lastCreateError.pointer)
            }
        )
        return MS_OK
    }
}

/// The plugin-wide state behind a filled table: the static strings and the type-erased factory.
final class ExportedPlugin {
    let name: UnsafeMutablePointer<CChar>
    let version: UnsafeMutablePointer<CChar>
    let producedKind: UnsafeMutablePointer<CChar>
    let consumedKinds: UnsafeMutablePointer<UnsafePointer<CChar>?>
    let consumedKindCount: Int
    /// Written only inside `create`, which the host serialises per plugin.
    var lastCreateError = CStringSlot()
    private let make: (ExchangeID, MarketCode) throws -> any DataTypePlugin

    init<Plugin: DataTypePlugin>(_ plugin: Plugin.Type) {
        name = makeCString(Plugin.name)
        version = makeCString(Plugin.version)
        producedKind = makeCString(Plugin.producedKind)
        let consumed = Plugin.consumedKinds
        consumedKindCount = consumed.count
        consumedKinds = .allocate(capacity: max(consumed.count, 1))
        for (index, kind) in consumed.enumerated() { consumedKinds[index] = UnsafePointer(makeCString(kind)) }
        make = { exchange, market in try Plugin(exchange: exchange, market: market) }
    }

    func create(exchange: UnsafePointer<CChar>?, market: UnsafePointer<CChar>?) -> UnsafeMutableRawPointer? {
        guard let exchange, let market else {
            lastCreateError.set("create needs an exchange and a market")
            return nil
        }
        do {
            let code = try MarketCode(String(cString: market))
            let plugin = try make(ExchangeID(rawValue: String(cString: exchange)), code)
            return Unmanaged.passRetained(ExportedInstance(plugin)).toOpaque()
        } catch {
            lastCreateError.set(String(describing: error))
            return nil
        }
    }
}

/// One per-market instance behind the ABI.
final class ExportedInstance {
    private var plugin: any DataTypePlugin
    private(set) var lastError = CStringSlot()
    private var kinds = CStringInterner<DataKind>()
    private var fieldNames: [String: UnsafeMutablePointer<CChar>] = [:]

    init(_ plugin: any DataTypePlugin) { self.plugin = plugin }

    deinit {
        lastError.clear()
        kinds.removeAll()
        for pointer in fieldNames.values { pointer.deallocate() }
    }

    func process(_ event: ms_event, emit: ms_emit_fn, sink: UnsafeMutableRawPointer?) -> Int32 {
        let outputs: [CustomPayload]
        do {
            outputs = try plugin.process(decode(event))
        } catch {
            lastError.set(String(describing: error))
            return MS_ERR_FAILED
        }
        for output in outputs {
            // Parallel arrays, not `fields`: that would build an array of tuples per output.
            let (names, values) = (output.names, output.values)
            let rc = withUnsafeTemporaryAllocation(of: ms_field.self, capacity: max(names.count, 1)) { buffer in
                for index in names.indices {
                    buffer[index] = ms_field(name: UnsafePointer(cName(names[index])), value: ms_decimal(values[index]))
                }
                return emit(sink, buffer.baseAddress, names.count)
            }
            guard rc == MS_OK else {
                lastError.set("the host rejected an output (\(output)): code \(rc)")
                return MS_ERR_FAILED
            }
        }
        return MS_OK
    }

    private func cName(_ name: String) -> UnsafeMutablePointer<CChar> {
        if let pointer = fieldNames[name] { return pointer }
        let pointer = makeCString(name)
        fieldNames[name] = pointer
        return pointer
    }

    private func decode(_ event: ms_event) throws -> PluginEvent {
        guard let kindName = event.kind_name, let payload = event.payload else {
            throw PluginKitError("the event has no kind name or payload")
        }
        let kind = try kinds.value(for: kindName) { (text: String) throws(PluginKitError) -> DataKind in
            do { return try DataKind(parsing: text) } catch { throw PluginKitError("unknown kind '\(text)'") }
        }
        let decoded: PluginEvent.Payload
        switch event.kind {
        case MS_KIND_TICKER:
            let t = payload.assumingMemoryBound(to: ms_ticker.self).pointee
            decoded = .ticker(
                PluginTicker(
                    tradePrice: try decimal(t.trade_price), openingPrice: try decimal(t.opening_price),
                    highPrice: try decimal(t.high_price), lowPrice: try decimal(t.low_price),
                    prevClosingPrice: try decimal(t.prev_closing_price),
                    signedChangeRate: try decimal(t.signed_change_rate), tradeVolume: try decimal(t.trade_volume),
                    accTradeVolume24h: try decimal(t.acc_trade_volume_24h),
                    accTradePrice24h: try decimal(t.acc_trade_price_24h),
                    tradeTimestamp: UnixTime(milliseconds: t.trade_timestamp_ms)))
        case MS_KIND_TRADE:
            let t = payload.assumingMemoryBound(to: ms_trade.self).pointee
            decoded = .trade(
                PluginTrade(
                    price: try decimal(t.price), volume: try decimal(t.volume),
                    side: t.side == MS_SIDE_ASK ? .ask : .bid,
                    tradeTimestamp: UnixTime(milliseconds: t.trade_timestamp_ms), sequentialID: t.sequential_id))
        case MS_KIND_ORDERBOOK:
            let book = payload.assumingMemoryBound(to: ms_orderbook.self).pointee
            var units: [Orderbook.Unit] = []
            units.reserveCapacity(book.unit_count)
            if let source = book.units {
                for index in 0..<book.unit_count {
                    let unit = source[index]
                    units.append(
                        Orderbook.Unit(
                            askPrice: try decimal(unit.ask_price), bidPrice: try decimal(unit.bid_price),
                            askSize: try decimal(unit.ask_size), bidSize: try decimal(unit.bid_size)))
                }
            }
            decoded = .orderbook(
                Orderbook(
                    totalAskSize: try decimal(book.total_ask_size), totalBidSize: try decimal(book.total_bid_size),
                    units: units, level: try decimal(book.level)))
        case MS_KIND_CANDLE:
            let c = payload.assumingMemoryBound(to: ms_candle.self).pointee
            decoded = .candle(
                PluginCandle(
                    openingPrice: try decimal(c.opening_price), highPrice: try decimal(c.high_price),
                    lowPrice: try decimal(c.low_price), tradePrice: try decimal(c.trade_price),
                    accTradeVolume: try decimal(c.acc_trade_volume), accTradePrice: try decimal(c.acc_trade_price)))
        default:
            throw PluginKitError("unknown event kind \(event.kind)")
        }
        return PluginEvent(
            kind: kind, stream: event.stream == MS_STREAM_SNAPSHOT ? .snapshot : .realtime,
            timestamp: UnixTime(milliseconds: event.timestamp_ms),
            receivedAt: UnixTime(milliseconds: event.received_at_ms), payload: decoded)
    }

    private func decimal(_ value: ms_decimal) throws(PluginKitError) -> ExactDecimal {
        guard let decimal = ExactDecimal(abi: value) else { throw PluginKitError("a decimal is out of range") }
        return decimal
    }
}

/// An event the kit could not convert.
struct PluginKitError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
