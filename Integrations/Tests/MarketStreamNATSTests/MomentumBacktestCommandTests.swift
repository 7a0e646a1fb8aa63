import Foundation
import Testing

/// `momentum-backtest` over a recording `marketstream-gateway record` made of the mock exchange.
@Suite(.timeLimit(.minutes(2))) struct MomentumBacktestCommandTests {
    static func backtest(_ arguments: [String]) async throws -> BuiltProgram.Run {
        try await BuiltProgram.run("momentum-backtest", arguments)
    }

    @Test func aRecordingGivesTheSameOrdersAndPnLOnEveryRun() async throws {
        let directory = GatewayRecordCommandTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let files = try await GatewayRecordCommandTests.recordMock(
            into: directory, types: "ticker", codes: "KRW-BTC,KRW-ETH,KRW-XRP", seconds: 3)
        #expect(GatewayRecordCommandTests.isOneRun(files), "\(files)")

        // Threshold 0 over 2 ticks: every move trades, so a few seconds of tickers place orders.
        let arguments = files + ["--lookback", "2", "--threshold", "0", "--budget", "50000"]
        let first = try await Self.backtest(arguments)
        let second = try await Self.backtest(arguments)
        #expect(first.status == 0, "\(first.errors)")
        #expect(second.status == 0, "\(second.errors)")
        #expect(first.output == second.output, "the same recording trades the same way")

        let lines = first.output.split(separator: "\n")
        #expect(
            lines.first?.hasPrefix("momentum-backtest: KRW-BTC, KRW-ETH, KRW-XRP from 1 recording(s) of mock") == true)
        #expect(lines.contains { $0.hasPrefix("replayed ") && $0.hasSuffix(" tickers, 0 recorded reconnects") })
        #expect(
            lines.contains { $0.hasPrefix("  PnL: ") && $0.hasSuffix(" KRW since the first signal (fees included)") })
        let orders = try #require(lines.first { $0.hasPrefix("  orders: ") })
        #expect(!orders.hasPrefix("  orders: 0 placed"), "\(first.output)")
        // Every order filled at once in the paper account, at a time of the recording.
        let placed = lines.filter { $0.contains("] BUY  ") || $0.contains("] SELL ") }.count
        let filled = lines.filter { $0.contains("] fill  ") }.count
        #expect(placed > 0 && placed == filled, "\(first.output)")
        #expect(orders.hasPrefix("  orders: \(placed) placed, 0 refused; fills: \(filled) "), "\(orders)")
    }

    @Test func badFilesAndFlagsGetOneLineErrors() async throws {
        let plain = try await Self.backtest(["/etc/hostname"])
        #expect(plain.status == 1)
        #expect(plain.errors == "Error: /etc/hostname is not a MarketStream recording (no MSR1 header)\n")
        let missing = try await Self.backtest(["/nonexistent.msr.zst"])
        #expect(missing.status == 1)
        #expect(missing.errors.contains("cannot open /nonexistent.msr.zst"), "\(missing.errors)")
        let codes = try await Self.backtest(["/nonexistent.msr.zst", "--codes", "USDT-BTC"])
        #expect(codes.status == 64)
        #expect(codes.errors.contains("--codes must be KRW markets"), "\(codes.errors)")
        let threshold = try await Self.backtest(["/nonexistent.msr.zst", "--threshold", "nan"])
        #expect(threshold.status == 64)
        #expect(threshold.errors.hasPrefix("Error: --threshold must be a finite number"), "\(threshold.errors)")
        let fee = try await Self.backtest(["/nonexistent.msr.zst", "--fee", "1.5"])
        #expect(fee.errors.contains("--fee must be a fraction"), "\(fee.errors)")
    }
}
