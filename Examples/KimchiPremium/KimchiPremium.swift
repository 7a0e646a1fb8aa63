import ArgumentParser
import BinanceExchange
import Foundation
import Logging
import MarketStreamCore
import MarketStreamRouting
import MockExchange
import UpbitExchange

/// `kimchi-premium`: one router, three venues. Bitcoin in KRW on Upbit and Bithumb, in USDT on
/// Binance, and USDT in KRW on Upbit give the "kimchi premium" — how much more bitcoin costs in
/// Korea — live, in percent.
///
/// By default it starts the mock exchange embedded on a loopback port and reaches it in all three
/// dialects (Upbit's, Bithumb's and Binance's, each through its own client module); `--exchange
/// live` watches the real venues (public data, no keys).
@main
struct KimchiPremium: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kimchi-premium",
        abstract: "Bitcoin on Upbit, Bithumb and Binance through one router, and the kimchi premium in percent."
    )

    enum Source: String, ExpressibleByArgument, CaseIterable {
        case mock, live
    }

    @Option(help: "mock (the embedded mock exchange, default) or live (Upbit, Bithumb and Binance themselves).")
    var exchange: Source = .mock
    @Option(help: "Seconds between table refreshes.") var interval = 1.0
    @Option(help: "Exit after this many seconds.") var duration: Double?

    func validate() throws {
        guard interval.isFinite, interval > 0, interval <= 3_600 else {
            throw ValidationError("--interval must be a number of seconds from above 0 to 3600")
        }
        if let duration, !(duration.isFinite && duration > 0 && duration <= 31_536_000) {
            throw ValidationError("--duration must be a number of seconds from above 0 to 31536000")
        }
    }

    func run() async throws {
        var logger = Logger(label: "kimchi-premium")
        logger.logLevel = .critical
        let board = PremiumBoard()
        try await withThrowingTaskGroup(of: Void.self) { group in
            let managers: [any AbstractWebSocketManager]
            let title: String
            switch exchange {
            case .mock:
                let server = MockExchangeServer(logger: logger)
                group.addTask { try await server.run() }
                let base = try await server.endpoint().webSocketBase
                managers = [
                    try UpbitExchange(configuration: .init(baseURL: base), logger: logger),
                    try UpbitExchange(
                        dialect: .bithumb, configuration: .init(baseURL: base + "/bithumb"), logger: logger),
                    try BinanceExchange(configuration: .init(baseURL: base + "/binance"), logger: logger),
                ]
                title = "kimchi premium — the embedded mock exchange at \(base), in three dialects"
            case .live:
                managers = [
                    try UpbitExchange(logger: logger), try UpbitExchange(dialect: .bithumb, logger: logger),
                    try BinanceExchange(logger: logger),
                ]
                title = "kimchi premium — api.upbit.com, ws-api.bithumb.com, stream.binance.com"
            }
            let router = MarketDataRouter(managers: managers, logger: logger)
            // Four tickers on three venues, one router; each venue gets one upstream request.
            let subscriptions = try PremiumBoard.quotes.map { quote in
                try router.subscribe(to: .ticker, markets: [quote.market], on: quote.exchange)
            }
            let (duration, interval) = (self.duration, self.interval)
            // The router runs in a ServiceGroup next to the board; SIGINT/SIGTERM shut both down.
            let outcome = try await ServiceProgram.run(services: [router], logger: logger) {
                try await withThrowingTaskGroup(of: Void.self) { tasks in
                    for subscription in subscriptions {
                        tasks.addTask {
                            for try await item in subscription {
                                guard case .market(let event) = item, case .ticker(let ticker) = event.payload else {
                                    continue
                                }
                                board.update(event.exchange, event.market, price: ticker.price)
                            }
                        }
                    }
                    let started = ContinuousClock.now
                    let interactive = isatty(STDOUT_FILENO) == 1
                    while duration.map({ ContinuousClock.now - started < .milliseconds(Int64($0 * 1_000)) }) ?? true {
                        try await Task.sleep(for: .milliseconds(Int64(interval * 1_000)))
                        let table = board.render(title: title)
                        FileHandle.standardOutput.write(Data(((interactive ? "\u{1B}[H\u{1B}[2J" : "") + table).utf8))
                    }
                    tasks.cancelAll()
                }
            }
            group.cancelAll()
            if outcome != .completed { throw ExitCode(outcome.exitStatus) }
        }
    }
}
