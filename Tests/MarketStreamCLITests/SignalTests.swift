import Foundation
import Testing

/// SIGINT and SIGTERM shut `watch` down through its service group: every subscription ends, the
/// router and the embedded exchange stop, and the exit status says which signal it was.
@Suite(.serialized, .timeLimit(.minutes(1))) struct SignalTests {
    /// Starts `watch`, waits for its first event line, sends `signal`, returns the exit and stderr.
    func interrupt(with signal: Int32) async throws -> (status: Int32, reason: Process.TerminationReason, err: String) {
        try await RunningCommand.start(["watch", "--json", "--types", "ticker", "--codes", "KRW-BTC"]).interrupt(
            with: signal)
    }

    @Test func sigintShutsDownCleanlyAndExits130() async throws {
        let result = try await interrupt(with: SIGINT)
        #expect(result.reason == .exit, "the program exits by itself, it is not killed by the signal")
        #expect(result.status == 130)
        #expect(result.err.isEmpty, "no stack dump or error: \(result.err)")
    }

    @Test func sigtermShutsDownCleanlyAndExits143() async throws {
        let result = try await interrupt(with: SIGTERM)
        #expect(result.reason == .exit)
        #expect(result.status == 143)
        #expect(result.err.isEmpty, "no stack dump or error: \(result.err)")
    }

    /// `watch --json | head -1`: once the reader has gone, the next write ends `watch` quietly.
    @Test func aClosedStdoutEndsWatchQuietlyWithStatus0() async throws {
        let watch = try await RunningCommand.start([
            "watch", "--json", "--types", "ticker,trade", "--codes", "KRW-BTC,KRW-ETH",
        ])
        try watch.out.fileHandleForReading.close()
        let result = await watch.finish()
        #expect(result.reason == .exit)
        #expect(result.status == 0)
        #expect(result.err.isEmpty, "no crash report: \(result.err.prefix(300))")
    }
}
