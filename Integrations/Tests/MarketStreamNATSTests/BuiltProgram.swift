import Foundation
import MarketStreamTesting
import Synchronization

/// One of the package's executables, built next to the test bundle, run as a user runs it.
enum BuiltProgram {
    struct Run {
        var status: Int32
        var output: String
        var errors: String
    }

    /// The path of the executable `name` built beside the test bundle (`name` itself if it is a path).
    static func path(_ name: String) -> String {
        if name.hasPrefix("/") { return name }
        let directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        var candidates = [directory.appendingPathComponent(name).path]
        // `swift test` runs the bundle from inside it on some set-ups.
        candidates.append(directory.deletingLastPathComponent().appendingPathComponent(name).path)
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) } ?? candidates[0]
    }

    /// A started program, killed if the test awaiting it is cancelled (by its time limit, say)
    /// before it ends: a failing test then fails instead of waiting for ever on a child that waits
    /// for something that will not come.
    private final class Child: Sendable {
        let process: Process
        let output = Pipe()
        let errors = Pipe()
        /// Set once the program has ended, so a later cancellation cannot signal a reused pid.
        private let ended = Mutex(false)

        /// Starts `name` with `arguments`, its output and errors each on a pipe.
        init(_ name: String, _ arguments: [String]) throws {
            process = Process()
            process.executableURL = URL(fileURLWithPath: BuiltProgram.path(name))
            process.arguments = arguments
            process.standardOutput = output
            process.standardError = errors
            try process.run()
        }

        /// Sends `signal` unless the program has ended.
        func signal(_ signal: Int32) {
            ended.withLock { ended in
                if !ended && process.isRunning { kill(process.processIdentifier, signal) }
            }
        }

        /// Waits for the program to end, on a thread of its own.
        func waitForExit() async {
            await runOnDedicatedThread { [process] in process.waitUntilExit() }
            ended.withLock { $0 = true }
        }

        /// Runs `body`; if the awaiting task is cancelled first, the program gets SIGKILL, which
        /// closes its pipes and so ends every read `body` waits on.
        func killedOnCancel<Value>(_ body: () async throws -> Value) async rethrows -> Value {
            try await withTaskCancellationHandler(operation: body, onCancel: { self.signal(SIGKILL) })
        }

        /// What the program wrote to its errors, read to the end on a thread of its own.
        func readErrors() async -> Data {
            await runOnDedicatedThread { [errors] in errors.fileHandleForReading.readDataToEndOfFile() }
        }
    }

    /// Runs `name` with `arguments`; once `interruptAfter` returns, the program gets SIGINT. If the
    /// test is cancelled first, the program is killed.
    static func run(
        _ name: String, _ arguments: [String], interruptAfter: (@Sendable () async -> Void)? = nil
    ) async throws -> Run {
        let child = try Child(name, arguments)
        return await child.killedOnCancel {
            if let interruptAfter {
                await interruptAfter()
                child.signal(SIGINT)
            }
            // Both pipes drain at once: a child filling one while we wait on the other would block.
            async let err = child.readErrors()
            let out = await runOnDedicatedThread { [output = child.output] in
                output.fileHandleForReading.readDataToEndOfFile()
            }
            let errData = await err
            await child.waitForExit()
            return Run(
                status: child.process.terminationStatus, output: String(decoding: out, as: UTF8.self),
                errors: String(decoding: errData, as: UTF8.self))
        }
    }

    /// Runs `name` with `arguments` as `| head -n lines` would: reads its first `lines` lines of
    /// output, then closes the pipe and waits for the program to end. If the test is cancelled
    /// first, the program is killed.
    static func runClosingOutput(_ name: String, _ arguments: [String], afterLines lines: Int) async throws -> Run {
        let child = try Child(name, arguments)
        return await child.killedOnCancel {
            async let err = child.readErrors()
            let head = await runOnDedicatedThread { [output = child.output] () -> Data in
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
            await child.waitForExit()
            return Run(
                status: child.process.terminationStatus, output: String(decoding: head, as: UTF8.self),
                errors: String(decoding: errData, as: UTF8.self))
        }
    }
}
