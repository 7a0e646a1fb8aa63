import Foundation
import MarketStreamCore
import MarketStreamPlugins
import Testing

/// One test per loader error: each names the file and the cause, and nothing crashes.
@Suite struct PluginLoaderErrorTests {
    let loader = PluginLoader()

    func loadError(_ pathOrName: String, loader: PluginLoader = PluginLoader()) -> PluginLoadError? {
        do {
            _ = try loader.load(pathOrName)
            return nil
        } catch {
            return error
        }
    }

    @Test func aMissingFile() {
        let error = loadError("/nonexistent/libNothing.so")
        #expect(error?.reason == .fileMissing(searched: []))
        #expect(error?.description == "plugin '/nonexistent/libNothing.so': no such file")
    }

    @Test func aNameNotInTheSearchPath() {
        let error = loadError("Nothing", loader: PluginLoader(searchPath: ["/nonexistent/a", "/nonexistent/b"]))
        #expect(error?.reason == .fileMissing(searched: ["/nonexistent/a", "/nonexistent/b"]))
        #expect(error?.description.contains("not found in /nonexistent/a:/nonexistent/b") == true)
    }

    @Test func aFileThatIsNotASharedLibrary() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("not-a-plugin-\(UUID()).so").path
        try Data("this is text, not ELF\n".utf8).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let error = loadError(path)
        guard case .notLoadable(let detail)? = error?.reason else {
            Issue.record("expected notLoadable, got \(String(describing: error))")
            return
        }
        #expect(detail.contains(path))  // dlerror names the file and why
        #expect(error?.description.hasPrefix("plugin '\(path)': not a loadable shared library: ") == true)
    }

    @Test func aLibraryWithoutTheEntrySymbol() {
        let path = BuiltPlugins.path("FixtureNoEntry")
        let error = loadError(path)
        guard case .entrySymbolMissing(let symbol, let detail)? = error?.reason else {
            Issue.record("expected entrySymbolMissing, got \(String(describing: error))")
            return
        }
        #expect(symbol == "marketstream_plugin_entry")
        #expect(detail.contains("marketstream_plugin_entry"))
        #expect(error?.path == path)
    }

    @Test func anABIVersionMismatchNamesBothVersions() {
        let error = loadError(BuiltPlugins.path("FixtureWrongABI"))
        #expect(error?.reason == .abiVersionMismatch(plugin: 99, host: 1))
        #expect(error?.description.contains("the plugin has ABI 99, this MarketStream speaks ABI 1") == true)
    }

    @Test func aNullFunctionPointer() {
        let error = loadError(BuiltPlugins.path("FixtureNullFunction"))
        #expect(error?.reason == .invalidTable("the 'process' function pointer is null"))
    }

    @Test func anEmptyName() {
        let error = loadError(BuiltPlugins.path("FixtureEmptyName"))
        #expect(error?.reason == .invalidTable("the plugin name is empty"))
    }

    @Test func aConsumedKindTheRouterDoesNotKnow() {
        let error = loadError(BuiltPlugins.path("FixtureUnknownInput"))
        #expect(error?.reason == .invalidTable("it consumes 'bogus', which is not a kind MarketStream knows"))
    }

    @Test func aDuplicateProducedKindNamesTheOtherProducer() {
        let spread = BuiltPlugins.path("Spread")
        #expect {
            _ = try loader.load([spread, spread])
        } throws: { error in
            let error = error as? PluginLoadError
            return error?.reason == .duplicateProducedKind(kind: "spread", producer: "Spread (\(spread))")
        }
        #expect {
            _ = try loader.load([spread], alongside: [SwiftSpread()])
        } throws: { error in
            (error as? PluginLoadError)?.reason
                == .duplicateProducedKind(kind: "spread", producer: "the handler SwiftSpread")
        }
    }
}

/// A Swift handler producing `spread`, to collide with the plugin.
private struct SwiftSpread: DataTypeHandler {
    let producedKind = try! DataKind.custom("spread")
    let consumedKinds: [DataKind] = [.orderbook]
    func makeProcessor(exchange: ExchangeID, market: MarketCode) -> any DataTypeProcessor { Processor() }
    struct Processor: DataTypeProcessor {
        mutating func process(_ event: MarketEvent) throws -> [MarketPayload] { [] }
    }
}
