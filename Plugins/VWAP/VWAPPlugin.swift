import MarketStreamCore
import MarketStreamPluginKit

/// The volume-weighted average price of the trades in the last 60 seconds (by trade time), with
/// the window's volume and trade count.
struct VWAPPlugin: DataTypePlugin {
    static let name = "VWAP"
    static let version = "1.0.0"
    static let producedKind = "vwap"
    static let consumedKinds = ["trade"]

    /// The rolling window, in milliseconds of trade time.
    static let windowMilliseconds: Int64 = 60_000

    private struct Fill {
        let time: Int64
        let notional: ExactDecimal
        let volume: ExactDecimal
    }

    /// The window's fills, oldest first from `head`.
    private var fills: [Fill] = []
    private var head = 0
    private var notional = ExactDecimal.zero
    private var volume = ExactDecimal.zero

    init(exchange: ExchangeID, market: MarketCode) {}

    mutating func process(_ event: PluginEvent) throws -> [CustomPayload] {
        guard case .trade(let trade) = event.payload else { return [] }
        let now = trade.tradeTimestamp.milliseconds
        let fill = Fill(time: now, notional: trade.price * trade.volume, volume: trade.volume)
        fills.append(fill)
        notional = notional + fill.notional
        volume = volume + fill.volume
        while head < fills.count, fills[head].time <= now - Self.windowMilliseconds {
            notional = notional - fills[head].notional
            volume = volume - fills[head].volume
            head += 1
        }
        if head > 1_024, head * 2 > fills.count {
            fills.removeFirst(head)
            head = 0
        }
        guard !volume.isZero, let vwap = notional.divided(by: volume, scale: 8) else { return [] }
        return [CustomPayload([("vwap", vwap), ("volume", volume), ("trades", ExactDecimal(fills.count - head))])]
    }
}

/// The plugin's entry point (`marketstream_plugin.h`).
@_cdecl("marketstream_plugin_entry")
public func marketstreamPluginEntry(_ hostABIVersion: UInt32, _ table: UnsafeMutableRawPointer?) -> Int32 {
    PluginExport.fill(table, hostABIVersion: hostABIVersion, with: VWAPPlugin.self)
}
