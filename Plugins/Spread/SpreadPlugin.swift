import MarketStreamCore
import MarketStreamPluginKit

/// Best bid, best ask, spread, mid and the spread in basis points of the mid, from order books.
struct SpreadPlugin: DataTypePlugin {
    static let name = "Spread"
    static let version = "1.0.0"
    static let producedKind = "spread"
    static let consumedKinds = ["orderbook"]

    private static let half = ExactDecimal(significand: 5, exponent: -1)
    private static let basisPoints = ExactDecimal(10_000)

    init(exchange: ExchangeID, market: MarketCode) {}

    mutating func process(_ event: PluginEvent) throws -> [CustomPayload] {
        guard case .orderbook(let book) = event.payload, let best = book.units.first else { return [] }
        // An empty side (no bids or no asks) has a zero price: no meaningful spread.
        guard !best.bidPrice.isZero, !best.askPrice.isZero else { return [] }
        let spread = best.askPrice - best.bidPrice
        let mid = (best.askPrice + best.bidPrice) * Self.half
        var fields: [(name: String, value: ExactDecimal)] = [
            ("bid", best.bidPrice), ("ask", best.askPrice), ("spread", spread), ("mid", mid),
        ]
        if let bps = (spread * Self.basisPoints).divided(by: mid, scale: 4) { fields.append(("spread_bps", bps)) }
        return [CustomPayload(fields)]
    }
}

/// The plugin's entry point (`marketstream_plugin.h`).
@_cdecl("marketstream_plugin_entry")
public func marketstreamPluginEntry(_ hostABIVersion: UInt32, _ table: UnsafeMutableRawPointer?) -> Int32 {
    PluginExport.fill(table, hostABIVersion: hostABIVersion, with: SpreadPlugin.self)
}
