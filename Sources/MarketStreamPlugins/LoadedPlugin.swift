import MarketStreamCore

/// A data-type plugin loaded from a shared library: a ``DataTypeHandler`` the router uses like
/// any handler written in Swift.
public struct LoadedPlugin: DataTypeHandler, CustomStringConvertible {
    /// The file it was loaded from.
    public let path: String
    /// The plugin's name.
    public let name: String
    /// The plugin's version.
    public let version: String
    /// The ABI version it was built for.
    public let abiVersion: UInt32
    public let producedKind: DataKind
    public let consumedKinds: [DataKind]
    let library: PluginLibrary

    public func makeProcessor(exchange: ExchangeID, market: MarketCode) throws -> any DataTypeProcessor {
        PluginProcessor(library: library, instance: try library.makeInstance(exchange: exchange, market: market))
    }

    /// `Spread 1.0.0 (ABI 1): produces spread from orderbook`.
    public var description: String {
        "\(name) \(version) (ABI \(abiVersion)): produces \(producedKind) from \(consumedKinds.map(\.description).joined(separator: ", "))"
    }
}
