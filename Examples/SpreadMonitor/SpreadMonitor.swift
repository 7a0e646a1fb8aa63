import ArgumentParser
import Foundation
import Logging
import MarketStreamCore
import MarketStreamPlugins
import MarketStreamRouting
import MockExchange
import UpbitExchange

/// `spread-monitor`: loads the Spread plugin with dlopen and shows a live table of spreads.
///
/// By default it starts the mock exchange embedded on a loopback port and streams from it through
/// the real Upbit client; `--endpoint wss://api.upbit.com` watches Upbit itself (public data, no
/// keys). The table refreshes in place on a terminal and prints plain snapshots otherwise.
@main
struct SpreadMonitor: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "spread-monitor",
        abstract: "A live table of best bid, best ask and spread, computed by the Spread plugin (dlopen)."
    )

    @Option(
        help:
            "The Spread plugin: a path, or a name in MARKETSTREAM_PLUGIN_PATH (default: libSpread.so next to this program)."
    )
    var plugin: String?
    @Option(help: "Comma-separated market codes.") var codes = "KRW-BTC,KRW-ETH,KRW-XRP"
    @Option(help: "Upbit WebSocket base URL; the embedded mock exchange when omitted.") var endpoint: String?
    @Option(help: "Seconds between table refreshes.") var interval = 0.5
    @Option(help: "Exit after this many seconds.") var duration: Double?

    func validate() throws {
        guard (try? MarketCode.parseList(codes)) != nil else { throw ValidationError("invalid --codes '\(codes)'") }
        // Finite and bounded: `nan` and `inf` are usage errors, not crashes later.
        guard interval.isFinite, interval > 0, interval <= 3_600 else {
            throw ValidationError("--interval must be a number of seconds from above 0 to 3600")
        }
        if let duration, !(duration.isFinite && duration > 0 && duration <= 31_536_000) {
            throw ValidationError("--duration must be a number of seconds from above 0 to 31536000")
        }
    }

    func run() async throws {
        var logger = Logger(label: "spread-monitor")
        logger.logLevel = .critical
        let markets = try MarketCode.parseList(codes)
        let spread = try loadSpread()
        let boardState = SpreadBoard(markets: markets)

        try await withThrowingTaskGroup(of: Void.self) { group in
            let base: String
            if let endpoint {
                base = endpoint
            } else {
                let server = MockExchangeServer(logger: logger)
                group.addTask { try await server.run() }
                base = try await server.endpoint().webSocketBase
            }
            let upbit = try UpbitExchange(
                exchange: endpoint == nil ? "mock" : "upbit", configuration: .init(baseURL: base), logger: logger)
            let router = MarketDataRouter(
                managers: [upbit], handlers: try HandlerRegistry([spread]), logger: logger)
            let spreads = try router.subscribe(to: spread.producedKind, markets: markets)
            let (duration, interval) = (self.duration, self.interval)
            let title = "\(spread.name) \(spread.version) via dlopen — \(base)"
            // The router runs in a ServiceGroup next to the board; SIGINT/SIGTERM shut both down.
            let outcome = try await ServiceProgram.run(services: [router], logger: logger) {
                try await withThrowingTaskGroup(of: Void.self) { board in
                    board.addTask {
                        for try await event in spreads {
                            if case .market(let market) = event, case .custom(let fields) = market.payload {
                                boardState.update(market.market, fields)
                            }
                        }
                    }
                    let started = ContinuousClock.now
                    let interactive = isatty(STDOUT_FILENO) == 1
                    while duration.map({ ContinuousClock.now - started < .milliseconds(Int64($0 * 1_000)) }) ?? true {
                        try await Task.sleep(for: .milliseconds(Int64(interval * 1_000)))
                        let table = boardState.render(title: title)
                        FileHandle.standardOutput.write(
                            Data(((interactive ? "\u{1B}[H\u{1B}[2J" : "") + table).utf8))
                    }
                    board.cancelAll()
                }
            }
            group.cancelAll()
            if outcome != .completed { throw ExitCode(outcome.exitStatus) }
        }
    }

    private func loadSpread() throws -> LoadedPlugin {
        let loader = PluginLoader(environment: ProcessInfo.processInfo.environment)
        let path = plugin ?? PluginLoader.programDirectory + "/libSpread.so"
        do {
            return try loader.load(path)
        } catch {
            let hint = plugin == nil ? " (build it first: swift build --product Spread)" : ""
            throw MonitorFailure(description: error.description + hint)
        }
    }
}

/// A fatal error, printed as one line.
struct MonitorFailure: Error, CustomStringConvertible {
    let description: String
}
