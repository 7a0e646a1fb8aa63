import MarketStreamCore

/// A data-type handler written in Swift and shipped as a shared library that MarketStream loads
/// at run time.
///
/// Conform a type to it and export it with one function; build it as a
/// `.library(type: .dynamic)` product:
///
/// ```swift
/// import MarketStreamCore
/// import MarketStreamPluginKit
///
/// struct SpreadPlugin: DataTypePlugin {
///     static let name = "Spread"
///     static let version = "1.0.0"
///     static let producedKind = "spread"
///     static let consumedKinds = ["orderbook"]
///
///     init(exchange: ExchangeID, market: MarketCode) {}
///
///     mutating func process(_ event: PluginEvent) throws -> [CustomPayload] {
///         guard case .orderbook(let book) = event.payload, let best = book.units.first else { return [] }
///         return [CustomPayload([("spread", best.askPrice - best.bidPrice)])]
///     }
/// }
///
/// @_cdecl("marketstream_plugin_entry")
/// public func marketstreamPluginEntry(_ hostABIVersion: UInt32, _ table: UnsafeMutableRawPointer?) -> Int32 {
///     PluginExport.fill(table, hostABIVersion: hostABIVersion, with: SpreadPlugin.self)
/// }
/// ```
///
/// Only C types cross the library boundary (the table in `marketstream_plugin.h`); the kit
/// converts them to and from the Swift types here. A Swift plugin runs on the host's Swift
/// runtime: build it with the same toolchain as the program that loads it.
public protocol DataTypePlugin {
    /// The plugin's name, for `marketstream plugins inspect` and errors.
    static var name: String { get }
    /// The plugin's version.
    static var version: String { get }
    /// The kind it produces: a new name such as `spread`, never a built-in kind.
    static var producedKind: String { get }
    /// The built-in kinds it consumes: `ticker`, `trade`, `orderbook` (any depth), `candle.<interval>`.
    static var consumedKinds: [String] { get }

    /// Creates the state for one market.
    /// - Throws: Any error; the subscription to the produced kind for that market then fails with it.
    init(exchange: ExchangeID, market: MarketCode) throws

    /// Turns one input event into zero or more outputs of the produced kind.
    /// - Throws: Any error; the event is skipped and counted by the host.
    mutating func process(_ event: PluginEvent) throws -> [CustomPayload]
}
