import Foundation
import MarketStreamCore
import Testing

/// The README's "Past one machine" commands, run as a user runs them: the bus on one Go thread
/// (`GOMAXPROCS=1 nats-server …`), `marketstream-gateway serve` against the mock exchange, and two
/// `marketstream-gateway watch` processes with overlapping demand, each printing what it asked for
/// through the one gateway.
@Suite(.timeLimit(.minutes(2))) struct GatewayWatchCommandTests {
    /// `run` ended with status 0 after four market lines, each of one of `prefixes` and with a price.
    /// A failure shows the watch's output and log, and the gateway's log (`gateway`).
    static func expectFourEvents(_ run: BuiltProgram.Run, startingWith prefixes: [String], gateway: BuiltProgram.Run) {
        let logs = "watch:\n\(run.output)\(run.errors)\ngateway:\n\(gateway.errors)"
        #expect(run.status == 0, "\(logs)")
        let lines = run.output.split(separator: "\n").filter { !$0.hasPrefix("connection ") }
        #expect(lines.count == 4, "\(logs)")
        for line in lines {
            #expect(prefixes.contains { line.hasPrefix($0) }, "\(line)")
            #expect(line.contains(" price="), "\(line)")
        }
    }

    @Test func twoWatchProcessesGetWhatEachAskedForThroughOneGateway() async throws {
        try await GatewayHarness.run(goThreads: 1) { h in
            // Resolved once the watch processes are done, so the gateway can be interrupted.
            let watchesDone = ReadySignal<Void>()
            async let gateway = BuiltProgram.run(
                "marketstream-gateway",
                [
                    "serve", "--nats", h.nats.url, "--upstream", h.mockBase, "--no-dashboard", "--log-level", "debug",
                ],
                interruptAfter: { _ = try? await watchesDone.wait() })
            async let tickers = BuiltProgram.run(
                "marketstream-gateway",
                [
                    "watch", "--nats", h.nats.url, "--types", "ticker", "--codes", "KRW-BTC,KRW-ETH", "--count", "4",
                    "--log-level", "debug",
                ])
            async let eth = BuiltProgram.run(
                "marketstream-gateway",
                [
                    "watch", "--nats", h.nats.url, "--types", "trade,ticker", "--codes", "KRW-ETH", "--count", "4",
                    "--log-level", "debug",
                ])
            let (tickerRun, ethRun) = try await (tickers, eth)
            watchesDone.resolve(())
            let gatewayRun = try await gateway

            // Each stops after its four market events, with status 0, and prints each with its values.
            Self.expectFourEvents(tickerRun, startingWith: ["ticker KRW-BTC ", "ticker KRW-ETH "], gateway: gatewayRun)
            Self.expectFourEvents(ethRun, startingWith: ["ticker KRW-ETH ", "trade KRW-ETH "], gateway: gatewayRun)
            // The gateway served both until Ctrl-C.
            #expect(gatewayRun.status == 130, "\(gatewayRun.errors)")
        }
    }
}
