import CMarketStreamPluginABI
import MarketStreamCore
import Synchronization

/// A plugin's validated function table.
///
/// `@unchecked Sendable`: the table is immutable after loading and points into a library that is
/// never unloaded (`RTLD_NODELETE`, no `dlclose`). The ABI's threading rules make the calls safe:
/// `create` is serialised here, and calls on one instance are serialised by its owner.
final class PluginLibrary: @unchecked Sendable {
    let table: ms_plugin_v1
    let name: String
    private let createLock = Mutex(())

    init(table: ms_plugin_v1, name: String) {
        self.table = table
        self.name = name
    }

    /// Creates a per-market instance.
    /// - Throws: ``MarketStreamError/Code/handlerFailed`` with the plugin's message.
    func makeInstance(exchange: ExchangeID, market: MarketCode) throws(MarketStreamError) -> UnsafeMutableRawPointer {
        let result: Result<UnsafeMutableRawPointer, MarketStreamError> = createLock.withLock { _ in
            let instance = exchange.rawValue.withCString { exchangeName in
                market.rawValue.withCString { marketName in table.create?(table.context, exchangeName, marketName) }
            }
            if let instance { return .success(instance) }
            let message = table.last_error?(table.context, nil).map { String(cString: $0) } ?? "no reason given"
            return .failure(
                MarketStreamError(.handlerFailed, "plugin \(name) could not start for \(market): \(message)"))
        }
        return try result.get()
    }
}
