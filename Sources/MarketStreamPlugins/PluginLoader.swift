import CMarketStreamPluginABI
import MarketStreamCore
import MarketStreamPluginKit

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Loads data-type plugins from shared libraries through MarketStream's versioned C ABI
/// (`marketstream_plugin.h`).
///
/// Libraries are opened with `RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE` and never closed: after
/// `dlclose` of a Swift library the Swift runtime crashes at the next dynamic cast, so a loaded
/// plugin stays loaded for the life of the process.
///
/// ```swift
/// let loader = PluginLoader(environment: ProcessInfo.processInfo.environment)
/// let plugins = try loader.load(["Spread", "/opt/plugins/libVWAP.so"])
/// let router = MarketDataRouter(managers: [upbit], handlers: try HandlerRegistry(plugins))
/// ```
public struct PluginLoader: Sendable {
    /// The ABI version this MarketStream speaks.
    public static let hostABIVersion: UInt32 = MS_PLUGIN_ABI_VERSION
    /// The symbol every plugin exports.
    public static let entrySymbol = MS_PLUGIN_ENTRY_SYMBOL
    /// The environment variable holding the search path.
    public static let searchPathVariable = "MARKETSTREAM_PLUGIN_PATH"

    /// The directory of the running program. SwiftPM builds a package's plugin libraries next to its
    /// executables and test bundles, so programs and tests find the libraries built with them here.
    public static var programDirectory: String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        let path =
            count > 0
            ? String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            : CommandLine.arguments[0]
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return String(path[..<slash])
    }

    /// Directories searched for a plugin given by name rather than by path.
    public var searchPath: [String]

    /// Creates a loader.
    /// - Parameter searchPath: Directories searched for plugins given by name.
    public init(searchPath: [String] = []) {
        self.searchPath = searchPath
    }

    /// Creates a loader whose search path is `MARKETSTREAM_PLUGIN_PATH` (colon-separated).
    /// - Parameter environment: The process environment.
    public init(environment: [String: String]) {
        self.init(
            searchPath: (environment[Self.searchPathVariable] ?? "").split(separator: ":").map(String.init))
    }

    /// The file for a plugin given as a path (anything containing `/`) or as a name looked up in
    /// the search path as `lib<name>.so`, `<name>.so` or `<name>`.
    /// - Throws: ``PluginLoadError/Reason/fileMissing(searched:)``.
    public func resolve(_ pathOrName: String) throws(PluginLoadError) -> String {
        if pathOrName.contains("/") {
            guard fileExists(pathOrName) else {
                throw PluginLoadError(path: pathOrName, reason: .fileMissing(searched: []))
            }
            return pathOrName
        }
        for directory in searchPath {
            for file in ["lib\(pathOrName).so", "\(pathOrName).so", "lib\(pathOrName).dylib", pathOrName] {
                let candidate = directory.hasSuffix("/") ? directory + file : directory + "/" + file
                if fileExists(candidate) { return candidate }
            }
        }
        if fileExists(pathOrName) { return pathOrName }
        throw PluginLoadError(path: pathOrName, reason: .fileMissing(searched: searchPath))
    }

    /// Loads plugins, checking that no two produce the same kind.
    /// - Parameters:
    ///   - pathsOrNames: Paths, or names to find in the search path.
    ///   - existing: Handlers already registered; a plugin may not produce one of their kinds.
    /// - Returns: The plugins, in order.
    /// - Throws: ``PluginLoadError`` for the first plugin that cannot be loaded.
    public func load(
        _ pathsOrNames: [String], alongside existing: [any DataTypeHandler] = []
    ) throws(PluginLoadError) -> [LoadedPlugin] {
        var producers: [DataKind: String] = [:]
        for handler in existing { producers[handler.producedKind] = "the handler \(type(of: handler))" }
        var plugins: [LoadedPlugin] = []
        for pathOrName in pathsOrNames {
            let plugin = try load(pathOrName)
            if let producer = producers[plugin.producedKind] {
                throw PluginLoadError(
                    path: plugin.path,
                    reason: .duplicateProducedKind(kind: plugin.producedKind.description, producer: producer))
            }
            producers[plugin.producedKind] = "\(plugin.name) (\(plugin.path))"
            plugins.append(plugin)
        }
        return plugins
    }

    /// Loads one plugin.
    /// - Parameter pathOrName: A path, or a name to find in the search path.
    /// - Throws: ``PluginLoadError``: file missing, not a loadable shared library, entry symbol
    ///   missing, ABI version mismatch or an invalid table.
    public func load(_ pathOrName: String) throws(PluginLoadError) -> LoadedPlugin {
        let path = try resolve(pathOrName)
        func fail(_ reason: PluginLoadError.Reason) -> PluginLoadError { PluginLoadError(path: path, reason: reason) }
        _ = dlerror()
        guard let handle = dlopen(path, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE) else {
            throw fail(.notLoadable(Self.lastDLError() ?? "dlopen failed"))
        }
        _ = dlerror()
        guard let symbol = dlsym(handle, Self.entrySymbol) else {
            throw fail(.entrySymbolMissing(symbol: Self.entrySymbol, detail: Self.lastDLError() ?? "not exported"))
        }
        typealias Entry = @convention(c) (UInt32, UnsafeMutablePointer<ms_plugin_v1>?) -> Int32
        let entry = unsafeBitCast(symbol, to: Entry.self)
        var table = ms_plugin_v1()
        let rc = entry(Self.hostABIVersion, &table)
        guard table.abi_version == Self.hostABIVersion, rc != MS_ERR_ABI_MISMATCH else {
            throw fail(.abiVersionMismatch(plugin: table.abi_version, host: Self.hostABIVersion))
        }
        guard rc == MS_OK else { throw fail(.invalidTable("the entry function returned \(rc)")) }
        do {
            return try Self.validate(table, path: path)
        } catch {
            throw fail(.invalidTable(error.message))
        }
    }

    private static func validate(_ table: ms_plugin_v1, path: String) throws(MarketStreamError) -> LoadedPlugin {
        func invalid(_ message: String) -> MarketStreamError { MarketStreamError(.invalidArgument, message) }
        guard table.struct_size >= MemoryLayout<ms_plugin_v1>.size else {
            throw invalid("struct_size is \(table.struct_size), ABI 1 needs \(MemoryLayout<ms_plugin_v1>.size)")
        }
        let functions: [(String, Bool)] = [
            ("create", table.create == nil), ("destroy", table.destroy == nil), ("process", table.process == nil),
            ("last_error", table.last_error == nil),
        ]
        if let missing = functions.first(where: \.1) { throw invalid("the '\(missing.0)' function pointer is null") }
        guard let name = text(table.name), !name.isEmpty else { throw invalid("the plugin name is empty") }
        guard let version = text(table.version), !version.isEmpty else { throw invalid("the version is empty") }
        guard let producedName = text(table.produced_kind), !producedName.isEmpty else {
            throw invalid("the produced kind is empty")
        }
        let produced: DataKind
        do {
            produced = try DataKind.custom(producedName)
        } catch {
            throw invalid("the produced kind '\(producedName)' is a built-in kind or not a valid name")
        }
        guard table.consumed_kind_count > 0, let names = table.consumed_kinds else {
            throw invalid("it consumes no kinds")
        }
        var consumed: [DataKind] = []
        for index in 0..<table.consumed_kind_count {
            guard let kindName = text(names[index]), !kindName.isEmpty else {
                throw invalid("consumed kind \(index) is empty")
            }
            guard let kind = try? DataKind(parsing: kindName), !kind.isCustom else {
                throw invalid("it consumes '\(kindName)', which is not a kind MarketStream knows")
            }
            guard PluginInputKinds.isSupported(kind) else {
                throw invalid(
                    "it consumes '\(kindName)', which plugins cannot consume (ABI 1 carries ticker, trade, orderbook, candle)"
                )
            }
            if !consumed.contains(kind) { consumed.append(kind) }
        }
        return LoadedPlugin(
            path: path, name: name, version: version, abiVersion: table.abi_version, producedKind: produced,
            consumedKinds: consumed, library: PluginLibrary(table: table, name: name))
    }

    private static func text(_ pointer: UnsafePointer<CChar>?) -> String? {
        pointer.map { String(cString: $0) }
    }

    private static func lastDLError() -> String? {
        dlerror().map { String(cString: $0) }
    }

    private func fileExists(_ path: String) -> Bool {
        access(path, F_OK) == 0
    }
}
