import Foundation
import Testing

/// SIGINT and SIGTERM shut `watch` down through its service group: every subscription ends, the
/// router and the embedded exchange stop, and the exit status says which signal it was.
@Suite(.serialized, .timeLimit(.minutes(1))) struct SignalTests {
    /// Starts `watch`, waits for its first event line, sends `signal`, returns the exit and stderr.
    func interrupt(with signal: Int32) throws -> (status: Int32, reason: Process.TerminationReason, err: String) {
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
            .appendingPathComponent("marketstream")
        let process = Process()
        process.executableURL = binary
        process.arguments = ["watch", "--types", "ticker", "--codes", "KRW-BTC", "--json"]
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // The first line proves the router is streaming before the signal arrives.
        var received = Data()
        while !received.contains(UInt8(ascii: "\n")) {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            received.append(chunk)
        }
        kill(process.processIdentifier, signal)
        process.waitUntilExit()
        return (
            process.terminationStatus, process.terminationReason,
            String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        )
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
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
            .appendingPathComponent("marketstream")
        let process = Process()
        process.executableURL = binary
        process.arguments = ["watch", "--types", "ticker,trade", "--codes", "KRW-BTC,KRW-ETH", "--json"]
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        var received = Data()
        while !received.contains(UInt8(ascii: "\n")) {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            received.append(chunk)
        }
        try out.fileHandleForReading.close()
        let deadline = ContinuousClock.now + .seconds(20)
        while process.isRunning && ContinuousClock.now < deadline { usleep(20_000) }
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationReason == .exit)
        #expect(process.terminationStatus == 0)
        #expect(stderr.isEmpty, "no crash report: \(stderr.prefix(300))")
    }
}
