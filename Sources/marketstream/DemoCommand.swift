import ArgumentParser
import Logging
import MarketStreamCore
import MarketStreamRouting
import MarketStreamTesting

/// `marketstream demo`: the design's seed scenario against the in-memory exchange.
///
/// A chart and a coin list subscribe on their own; the output shows what each component
/// receives and every message that goes upstream, proving that the components never cancel
/// each other's streams.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run the seed scenario (chart + coin list) against the in-memory exchange."
    )

    @Option(name: .customLong("grace-ms"), help: "Grace period before a released market leaves the upstream set.")
    var graceMilliseconds: Int = 300

    @Option(name: .customLong("debounce-ms"), help: "How long changes are batched before one upstream message.")
    var debounceMilliseconds: Int = 100

    @Flag(name: .customLong("verbose"), help: "Log the router's debug messages to stderr.")
    var verbose = false

    func validate() throws {
        guard (0...60_000).contains(graceMilliseconds) else {
            throw UsageError("--grace-ms must be between 0 and 60000")
        }
        guard (0...10_000).contains(debounceMilliseconds) else {
            throw UsageError("--debounce-ms must be between 0 and 10000")
        }
    }

    func run() async throws {
        var logger = Logger(label: "marketstream.demo")
        logger.logLevel = verbose ? .debug : .warning
        let scenario = SeedScenario(
            grace: .milliseconds(graceMilliseconds), debounce: .milliseconds(debounceMilliseconds), logger: logger)
        try await scenario.run { line in print(line) }
    }
}
