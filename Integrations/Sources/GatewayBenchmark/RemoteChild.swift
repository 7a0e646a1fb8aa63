import Foundation

/// A remote process the benchmark started (this executable, `remote` mode), spoken to over its
/// standard input and output.
final class RemoteChild: Sendable {
    /// What a child reported.
    struct Report {
        var received: Int
        var gaps: Int
        var transportDrops: Int
        var bufferDrops: Int
        var cpuSeconds: Double
        var p50: UInt64
        var p99: UInt64
        var p999: UInt64
        var max: UInt64
        var samples: Int
        /// Gateway receive → the remote router's read path, before the subscriber's wake-up.
        var readPathP50: UInt64
        var readPathP99: UInt64
    }

    private let process: Process
    private let input: FileHandle
    private let output: FileHandle

    /// Starts this executable in `mode`: `remote` (a remote router) or a ``BusChildWork``.
    /// - Parameter onDeliveryThread: A remote router's subscriber prefers the module's executor
    ///   (it runs on the bus's delivery thread) rather than Swift's pool.
    init(url: String, index: Int, mode: String = "remote", onDeliveryThread: Bool = false) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
        process.arguments = [mode, url, "\(index)"] + (onDeliveryThread ? ["delivery-thread"] : [])
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        self.process = process
        self.input = input.fileHandleForWriting
        self.output = output.fileHandleForReading
    }

    /// Starts recording latency.
    func measure() throws { try input.write(contentsOf: Array("measure\n".utf8)) }

    /// Asks for the child's figures (the read blocks, so it runs on a thread of its own).
    func report() async throws -> Report {
        try input.write(contentsOf: Array("report\n".utf8))
        let output = self.output
        let line = await withCheckedContinuation { (answer: CheckedContinuation<String, Never>) in
            Thread {
                var bytes: [UInt8] = []
                while let data = try? output.read(upToCount: 1), let byte = data.first, byte != UInt8(ascii: "\n") {
                    bytes.append(byte)
                }
                answer.resume(returning: String(decoding: bytes, as: UTF8.self))
            }.start()
        }
        let fields = line.split(separator: " ").map(String.init)
        guard fields.count == 12 else { throw BenchmarkError("a remote process answered '\(line)'") }
        return Report(
            received: Int(fields[0]) ?? 0, gaps: Int(fields[1]) ?? 0, transportDrops: Int(fields[2]) ?? 0,
            bufferDrops: Int(fields[3]) ?? 0, cpuSeconds: Double(fields[4]) ?? 0, p50: UInt64(fields[5]) ?? 0,
            p99: UInt64(fields[6]) ?? 0, p999: UInt64(fields[7]) ?? 0, max: UInt64(fields[8]) ?? 0,
            samples: Int(fields[9]) ?? 0, readPathP50: UInt64(fields[10]) ?? 0, readPathP99: UInt64(fields[11]) ?? 0)
    }

    /// Ends the child (end of its input) and waits for it.
    func stop() {
        try? input.close()
        process.waitUntilExit()
    }
}

struct BenchmarkError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
