import Foundation
import MarketStreamCore
import MarketStreamPlugins

/// The plugin libraries this build produced: `swift test` builds the `.dynamic` products next to
/// the test bundle (`MARKETSTREAM_PLUGIN_DIR` overrides).
enum BuiltPlugins {
    static let directory =
        ProcessInfo.processInfo.environment["MARKETSTREAM_PLUGIN_DIR"] ?? PluginLoader.programDirectory

    /// The path of `lib<name>.so`.
    static func path(_ name: String) -> String { directory + "/lib\(name).so" }

    /// Loads a built plugin by name.
    static func load(_ name: String) throws -> LoadedPlugin {
        try PluginLoader().load(path(name))
    }

    /// An event for a plugin processor.
    static func event(_ kind: DataKind, _ payload: MarketPayload, at milliseconds: Int64 = 1_000) -> MarketEvent {
        MarketEvent(
            exchange: "upbit", kind: kind, market: try! MarketCode("KRW-BTC"), stream: .realtime,
            timestamp: UnixTime(milliseconds: milliseconds), receivedAt: UnixTime(milliseconds: milliseconds),
            generation: ConnectionGeneration(1), payload: payload)
    }

    /// A trade event.
    static func trade(
        price: ExactDecimal, volume: ExactDecimal, side: TradeSide, at milliseconds: Int64
    ) -> MarketEvent {
        event(
            .trade,
            .trade(
                Trade(
                    id: milliseconds, price: price, size: volume, side: side,
                    time: UnixTime(milliseconds: milliseconds))), at: milliseconds)
    }
}

extension Array where Element == MarketPayload {
    /// The fields of the single custom payload, or `nil`.
    var onlyCustom: CustomPayload? {
        guard count == 1, case .custom(let payload) = self[0] else { return nil }
        return payload
    }
}
