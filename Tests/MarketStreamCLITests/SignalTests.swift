import Foundation
import Testing

/// SIGINT and SIGTERM shut `watch` down through its service group: every subscription ends, the
/// router and the embedded exchange stop, and the exit status says which signal it was.
@Suite(.serialized, .timeLimit(.minutes(1))) struct SignalTests {
    /// A running `watch --json` whose first event line has arrived (the router is streaming).
    struct RunningWatch {
        let process = Process()
        let out = Pipe()
        let err = Pipe()

        init(_ arguments: [String]) throws {
            process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
                .appendingPathComponent("marketstream")
            process.arguments = ["watch", "--json"] + arguments
            process.standardOutput = out
            process.standardError = err
            try process.run()
            var received = Data()
            while !received.contains(UInt8(ascii: "\n")) {
                let chunk = out.fileHandleForReading.availableData
                if chunk.isEmpty { break }
                received.append(chunk)
            }
        }

        /// Waits up to `timeout` for the exit; returns how it ended and what it wrote on stderr.
        func finish(timeout: Duration = .seconds(20)) -> (
            status: Int32, reason: Process.TerminationReason, err: String
        ) {
            let deadline = ContinuousClock.now + timeout
            while process.isRunning && ContinuousClock.now < deadline { usleep(20_000) }
            if process.isRunning { process.terminate() }
            process.waitUntilExit()
            return (
                process.terminationStatus, process.terminationReason,
                String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            )
        }
    }

    /// Starts `watch`, waits for its first event line, sends `signal`, returns the exit and stderr.
    func interrupt(with signal: Int32) throws -> (status: Int32, reason: Process.TerminationReason, err: String) {
        let watch = try RunningWatch(["--types", "ticker", "--codes", "KRW-BTC"])
        kill(watch.process.processIdentifier, signal)
        return watch.finish()
    }

    @Test func sigintShutsDownCleanlyAndExits130() throws {
        let result = try interrupt(with: SIGINT)
        #expect(result.reason == .exit, "the program exits by itself, it is not killed by the signal")
        #expect(result.status == 130)
        #expect(result.err.isEmpty, "no stack dump or error: \(result.err)")
    }

    @Test func sigtermShutsDownCleanlyAndExits143() throws {
        let result = try interrupt(with: SIGTERM)
        #expect(result.reason == .exit)
        #expect(result.status == 143)
        #expect(result.err.isEmpty, "no stack dump or error: \(result.err)")
    }

    /// `watch --json | head -1`: once the reader has gone, the next write ends `watch` quietly.
    @Test func aClosedStdoutEndsWatchQuietlyWithStatus0() throws {
        let watch = try RunningWatch(["--types", "ticker,trade", "--codes", "KRW-BTC,KRW-ETH"])
        try watch.out.fileHandleForReading.close()
        let result = watch.finish()
        #expect(result.reason == .exit)
        #expect(result.status == 0)
        #expect(result.err.isEmpty, "no crash report: \(result.err.prefix(300))")
    }
}
