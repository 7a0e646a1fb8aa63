import ArgumentParser
import BinanceExchange
import Foundation
import Logging
import MarketStreamCore
import MarketStreamRouting
import MockExchange
import UpbitExchange

/// `two-exchanges`: one router consuming two protocol styles at once — the mock exchange's Upbit
/// dialect (every request replaces the whole set) and its Binance dialect (subscribe and
/// unsubscribe by difference) — with one strategy that does not care which is which.
@main
struct TwoExchanges: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "two-exchanges",
        abstract: "One router, two protocol styles (overwrite and incremental), one strategy."
    )

    @Option(help: "Comma-separated market codes.") var codes = "KRW-BTC,KRW-ETH"
    @Option(help: "Trades to take from each exchange before stopping.") var trades = 3

    func validate() throws {
        guard (try? MarketCode.parseList(codes)) != nil else { throw ValidationError("invalid --codes '\(codes)'") }
        guard trades > 0 else { throw ValidationError("--trades must be positive") }
    }

    func run() async throws {
        var logger = Logger(label: "two-exchanges")
        logger.logLevel = .critical
        let markets = try MarketCode.parseList(codes)
        let server = MockExchangeServer(logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await server.run() }
            let base = try await server.endpoint().webSocketBase
            let overwrite = try UpbitExchange(
                exchange: "upbit-style", configuration: .init(baseURL: base), logger: logger)
            let incremental = try BinanceExchange(
                exchange: "binance-style", configuration: .init(baseURL: base + "/binance"), logger: logger)
            let router = MarketDataRouter(managers: [overwrite, incremental], logger: logger)
            print(
                "two-exchanges: one router, \(overwrite.exchange) (overwrite) and \(incremental.exchange) (incremental)"
            )
            let trades = self.trades
            // The router runs in a ServiceGroup next to the strategies; SIGINT/SIGTERM shut both down.
            let outcome = try await ServiceProgram.run(services: [router], logger: logger) {
                // The strategy: the same code for both exchanges.
                let results = try await withThrowingTaskGroup(of: String.self) { strategies in
                    for exchange in [overwrite.exchange, incremental.exchange] {
                        let stream = try router.subscribe(to: .trade, markets: markets, on: exchange)
                        strategies.addTask { try await Self.strategy(stream, exchange: exchange, take: trades) }
                    }
                    var lines: [String] = []
                    for try await line in strategies { lines.append(line) }
                    return lines.sorted()
                }
                for line in results { print(line) }
                for channel in router.health().channels {
                    print("\(channel.channel): \(channel.state), \(channel.upstreamMessages) upstream messages")
                }
            }
            group.cancelAll()
            if outcome != .completed { throw ExitCode(outcome.exitStatus) }
        }
    }

    /// Prints each live trade and returns a summary: trades seen and their exact volume.
    private static func strategy(_ stream: Subscription, exchange: ExchangeID, take: Int) async throws -> String {
        var seen = 0
        var volume = ExactDecimal.zero
        for try await event in stream {
            guard case .market(let market) = event, market.stream == .realtime,
                case .trade(let trade) = market.payload
            else { continue }
            seen += 1
            volume = volume + trade.size
            print("  \(exchange) \(market.market) \(trade.side) \(trade.size) @ \(trade.price)")
            if seen == take { break }
        }
        return "\(exchange): \(seen) trades, volume \(volume)"
    }
}
