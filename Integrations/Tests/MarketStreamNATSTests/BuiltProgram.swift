import Foundation
import MarketStreamTesting

/// One of the package's executables, built next to the test bundle, run as a user runs it.
enum BuiltProgram {
    struct Run {
        var status: Int32
        var output: String
        var errors: String
    }

    /// The path of the executable `name` built beside the test bundle.
    static func path(_ name: String) -> String {
        let directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        var candidates = [directory.appendingPathComponent(name).path]
        // `swift test` runs the bundle from inside it on some set-ups.
        candidates.append(directory.deletingLastPathComponent().appendingPathComponent(name).path)
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) } ?? candidates[0]
    }

    /// Starts `name` with `arguments`, its output and errors each on a pipe.
    private static func launch(_ name: String, _ arguments: [String]) throws -> (Process, Pipe, Pipe) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path(name))
        process.arguments = arguments
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        return (process, output, errors)
    }

    /// Runs `name` with `arguments`; once `interruptAfter` returns (or the test is cancelled), the
    /// program gets SIGINT.
    static func run(
        _ name: String, _ arguments: [String], interruptAfter: (@Sendable () async -> Void)? = nil
    ) async throws -> Run {
        let (process, output, errors) = try launch(name, arguments)
        if let interruptAfter {
            await interruptAfter()
            kill(process.processIdentifier, SIGINT)
        }
        // Both pipes drain at once: a child filling one while we wait on the other would block.
        async let err = runOnDedicatedThread { errors.fileHandleForReading.readDataToEndOfFile() }
        let out = await runOnDedicatedThread { output.fileHandleForReading.readDataToEndOfFile() }
        let errData = await err
        await runOnDedicatedThread { process.waitUntilExit() }
        return Run(
            status: process.terminationStatus, output: String(decoding: out, as: UTF8.self),
            errors: String(decoding: errData, as: UTF8.self))
    }

    /// Runs `name` with `arguments` as `| head -n lines` would: reads its first `lines` lines of
    /// output, then closes the pipe and waits for the program to end.
    static func runClosingOutput(_ name: String, _ arguments: [String], afterLines lines: Int) async throws -> Run {
        let (process, output, errors) = try launch(name, arguments)
        async let err = runOnDedicatedThread { errors.fileHandleForReading.readDataToEndOfFile() }
        let head = await runOnDedicatedThread { () -> Data in
            var read = Data()
            var newlines = 0
            while newlines < lines {
                let chunk = output.fileHandleForReading.availableData
                if chunk.isEmpty { break }
                newlines += chunk.count(where: { $0 == UInt8(ascii: "\n") })
                read.append(chunk)
            }
            try? output.fileHandleForReading.close()
            return read
        }
        let errData = await err
        await runOnDedicatedThread { process.waitUntilExit() }
        return Run(
            status: process.terminationStatus, output: String(decoding: head, as: UTF8.self),
            errors: String(decoding: errData, as: UTF8.self))
    }
}
