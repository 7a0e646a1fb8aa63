/// Why a plugin could not be loaded; every case names the file.
public struct PluginLoadError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The cause.
    public enum Reason: Sendable, Equatable {
        /// No file at the path, or no such plugin in the search path (the directories searched).
        case fileMissing(searched: [String])
        /// `dlopen` refused the file; the `dlerror` text.
        case notLoadable(String)
        /// The library does not export the entry symbol; the `dlerror` text.
        case entrySymbolMissing(symbol: String, detail: String)
        /// The plugin was built for another ABI version.
        case abiVersionMismatch(plugin: UInt32, host: UInt32)
        /// The table the entry function filled is unusable.
        case invalidTable(String)
        /// Another plugin (or handler) already produces this kind.
        case duplicateProducedKind(kind: String, producer: String)
    }

    /// The plugin file (or the name that was looked up).
    public let path: String
    /// The cause.
    public let reason: Reason

    /// Creates an error.
    public init(path: String, reason: Reason) {
        self.path = path
        self.reason = reason
    }

    /// One line naming the file and the cause.
    public var description: String {
        switch reason {
        case .fileMissing(let searched) where searched.isEmpty && !path.contains("/"):
            "plugin '\(path)': no such file, and MARKETSTREAM_PLUGIN_PATH names no directory to search"
        case .fileMissing(let searched) where searched.isEmpty:
            "plugin '\(path)': no such file"
        case .fileMissing(let searched):
            "plugin '\(path)': no such file, and not found in \(searched.joined(separator: ":")) (MARKETSTREAM_PLUGIN_PATH)"
        case .notLoadable(let detail):
            "plugin '\(path)': not a loadable shared library: \(detail)"
        case .entrySymbolMissing(let symbol, let detail):
            "plugin '\(path)': entry symbol '\(symbol)' missing: \(detail)"
        case .abiVersionMismatch(let plugin, let host):
            "plugin '\(path)': ABI version mismatch: the plugin has ABI \(plugin), this MarketStream speaks ABI \(host)"
        case .invalidTable(let detail):
            "plugin '\(path)': invalid plugin table: \(detail)"
        case .duplicateProducedKind(let kind, let producer):
            "plugin '\(path)': kind '\(kind)' is already produced by \(producer)"
        }
    }
}
