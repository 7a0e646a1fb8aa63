import ArgumentParser
import Foundation
import MarketStreamCore
import MarketStreamPlugins

/// `marketstream plugins`: inspects data-type plugins.
struct PluginsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plugins",
        abstract: "Inspect data-type plugins (shared libraries loaded with --plugin).",
        subcommands: [Inspect.self, List.self]
    )

    /// `marketstream plugins inspect PATH…`.
    struct Inspect: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Load plugins and print their name, version, ABI version and kinds.",
            discussion: "A name without '/' is looked up in MARKETSTREAM_PLUGIN_PATH (colon-separated directories)."
        )

        @Argument(help: "Plugin paths or names.") var plugins: [String]
        @Flag(help: "Print one JSON object per plugin.") var json = false

        func validate() throws {
            if plugins.isEmpty { throw UsageError("give at least one plugin path or name") }
        }

        func run() throws {
            let loader = PluginLoader(environment: ProcessInfo.processInfo.environment)
            for pathOrName in plugins {
                let plugin: LoadedPlugin
                do {
                    plugin = try loader.load(pathOrName)
                } catch {
                    throw CommandFailure(message: error.description)
                }
                print(json ? PluginReport.json(plugin) : PluginReport.text(plugin))
            }
        }
    }

    /// `marketstream plugins list`.
    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the plugins found in MARKETSTREAM_PLUGIN_PATH.",
            discussion:
                "Every shared library (*.so) in the search path is loaded and described; one that cannot be loaded is reported with its error."
        )

        func run() throws {
            let loader = PluginLoader(environment: ProcessInfo.processInfo.environment)
            guard !loader.searchPath.isEmpty else {
                throw CommandFailure(message: "MARKETSTREAM_PLUGIN_PATH is not set")
            }
            for directory in loader.searchPath {
                let files = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
                for file in files.sorted() where file.hasSuffix(".so") {
                    let path = directory.hasSuffix("/") ? directory + file : directory + "/" + file
                    do {
                        print("\(path): \(try loader.load(path))")
                    } catch {
                        print(error.description)
                    }
                }
            }
        }
    }
}

/// How a loaded plugin is described.
enum PluginReport {
    static func text(_ plugin: LoadedPlugin) -> String {
        """
        path:     \(plugin.path)
        name:     \(plugin.name)
        version:  \(plugin.version)
        abi:      \(plugin.abiVersion) (this MarketStream speaks \(PluginLoader.hostABIVersion))
        produces: \(plugin.producedKind)
        consumes: \(plugin.consumedKinds.map(\.description).joined(separator: ", "))
        """
    }

    static func json(_ plugin: LoadedPlugin) -> String {
        let object: [String: Any] = [
            "path": plugin.path, "name": plugin.name, "version": plugin.version, "abi_version": plugin.abiVersion,
            "produces": plugin.producedKind.description, "consumes": plugin.consumedKinds.map(\.description),
        ]
        let data = try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }
}
