import Foundation
import MarketStreamTesting

/// A running `marketstream` whose first `lines` lines of standard output have arrived.
struct RunningCommand {
    let process = Process()
    let out = Pipe()
    let err = Pipe()
    private let exit: ProcessExit
    /// What standard output said up to the awaited lines.
    private(set) var firstOutput = Data()

    init(_ arguments: [String], lines: Int = 1) throws {
        process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
            .appendingPathComponent("marketstream")
        process.arguments = arguments
        process.standardOutput = out
        process.standardError = err
        exit = ProcessExit(of: process)
        try process.run()
        while firstOutput.count(where: { $0 == UInt8(ascii: "\n") }) < lines {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            firstOutput.append(chunk)
        }
    }

    /// Starts `marketstream` with `arguments` and waits, on a thread of its own, for its first
    /// `lines` lines of output.
    static func start(_ arguments: [String], lines: Int = 1) async throws -> RunningCommand {
        try await runOnDedicatedThread { try RunningCommand(arguments, lines: lines) }
    }

    /// The first lines, as text.
    var firstLines: String { String(decoding: firstOutput, as: UTF8.self) }

    /// Sends `signal`, then waits for the exit.
    func interrupt(with signal: Int32, timeout: Duration = .seconds(20)) async -> (
        status: Int32, reason: Process.TerminationReason, err: String
    ) {
        kill(process.processIdentifier, signal)
        return await finish(timeout: timeout)
    }

    /// Waits up to `timeout` for the exit; returns how it ended and what it wrote on stderr.
    func finish(timeout: Duration = .seconds(20)) async -> (
        status: Int32, reason: Process.TerminationReason, err: String
    ) {
        await runOnDedicatedThread { finishBlocking(timeout: timeout) }
    }

    private func finishBlocking(timeout: Duration) -> (status: Int32, reason: Process.TerminationReason, err: String) {
        exit.wait(for: process, timeout: timeout)
        return (
            process.terminationStatus, process.terminationReason,
            String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        )
    }
}
