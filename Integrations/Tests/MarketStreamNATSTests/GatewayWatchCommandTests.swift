import Foundation
import Synchronization
import Testing

/// The README's "Past one machine" commands, run as a user runs them: `marketstream-gateway serve`
/// against the mock exchange, and two `marketstream-gateway watch` processes with overlapping
/// demand, each printing what it asked for through the one gateway.
@Suite(.timeLimit(.minutes(2))) struct GatewayWatchCommandTests {
    /// Set once the watch processes are done, so the gateway can be interrupted.
    final class Flag: Sendable {
        private let value = Atomic<Bool>(false)
        var isSet: Bool { value.load(ordering: .acquiring) }
        func set() { value.store(true, ordering: .releasing) }
    }

    /// The market lines of a watch's output (not its connection lines).
    static func marketLines(_ run: BuiltProgram.Run) -> [Substring] {
        run.output.split(separator: "\n").filter { !$0.hasPrefix("connection ") }
    }

    @Test func twoWatchProcessesGetWhatEachAskedForThroughOneGateway() async throws {
        try await GatewayHarness.run { h in
            let watchesDone = Flag()
            async let gateway = BuiltProgram.run(
                "marketstream-gateway", ["serve", "--nats", h.nats.url, "--upstream", h.mockBase, "--no-dashboard"],
                interruptWhen: { watchesDone.isSet })
            async let tickers = BuiltProgram.run(
                "marketstream-gateway",
                ["watch", "--nats", h.nats.url, "--types", "ticker", "--codes", "KRW-BTC,KRW-ETH", "--count", "4"])
            async let eth = BuiltProgram.run(
                "marketstream-gateway",
                ["watch", "--nats", h.nats.url, "--types", "trade,ticker", "--codes", "KRW-ETH", "--count", "4"])
            let (tickerRun, ethRun) = try await (tickers, eth)
            watchesDone.set()
            let gatewayRun = try await gateway

            // Each stops after its four market events, with status 0, and prints each with its values.
            #expect(tickerRun.status == 0, "\(tickerRun.errors)")
            let tickerLines = Self.marketLines(tickerRun)
            #expect(tickerLines.count == 4, "\(tickerRun.output)")
            for line in tickerLines {
                #expect(line.hasPrefix("ticker KRW-BTC ") || line.hasPrefix("ticker KRW-ETH "), "\(line)")
                #expect(line.contains(" price="), "\(line)")
            }
            #expect(ethRun.status == 0, "\(ethRun.errors)")
            let ethLines = Self.marketLines(ethRun)
            #expect(ethLines.count == 4, "\(ethRun.output)")
            for line in ethLines {
                #expect(line.hasPrefix("ticker KRW-ETH ") || line.hasPrefix("trade KRW-ETH "), "\(line)")
                #expect(line.contains(" price="), "\(line)")
            }
            // The gateway served both until Ctrl-C.
            #expect(gatewayRun.status == 130, "\(gatewayRun.errors)")
        }
    }
}
