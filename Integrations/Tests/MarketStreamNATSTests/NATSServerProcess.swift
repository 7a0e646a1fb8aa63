import Foundation
import MarketStreamNATS
import Synchronization

/// A real `nats-server` on loopback for one test, on a port of its own, so that tests can run in
/// parallel and a test can stop and restart its server.
///
/// The server is ready once its own log says it listens: a probe connection could reach another
/// test's server on the same port while this one is still failing to bind it, and the test would
/// then lose its server when the other test ends.
final class NATSServerProcess: Sendable {
    let port: Int
    /// Where JetStream keeps its files, when it is on.
    let storeDirectory: String?
    /// The threads it runs Go code on (`GOMAXPROCS`), when set; Go's default otherwise.
    let goThreads: Int?
    private let process: Mutex<Process?>

    var url: String { "nats://127.0.0.1:\(port)" }

    private init(port: Int, storeDirectory: String?, goThreads: Int?, process: Process) {
        self.port = port
        self.storeDirectory = storeDirectory
        self.goThreads = goThreads
        self.process = Mutex(process)
    }

    /// Starts a server, with JetStream if asked.
    /// - Parameters:
    ///   - port: Its port; by default one the system picks.
    ///   - jetStream: Whether JetStream is on.
    ///   - goThreads: The threads it runs Go code on (`GOMAXPROCS`); by default Go's own choice.
    /// - Throws: `NATSError` when it could not start (the port is taken, say).
    static func start(port: Int = -1, jetStream: Bool = false, goThreads: Int? = nil) async throws
        -> NATSServerProcess
    {
        let storeDirectory =
            jetStream ? NSTemporaryDirectory() + "nats-js-\(UInt64.random(in: 0 ... .max))" : nil
        let (process, ready) = try await run(port: port, storeDirectory: storeDirectory, goThreads: goThreads)
        guard case .listening(let port) = ready else {
            throw NATSError(.failed, "nats-server did not start: \(ready)")
        }
        return NATSServerProcess(port: port, storeDirectory: storeDirectory, goThreads: goThreads, process: process)
    }

    /// Starts again on this server's port, after ``kill()``.
    /// - Returns: `false` when the server could not listen on it (another process took it).
    @discardableResult
    func launch() async throws -> Bool {
        let (process, ready) = try await Self.run(port: port, storeDirectory: storeDirectory, goThreads: goThreads)
        self.process.withLock { $0 = process }
        return ready == .listening(port)
    }

    /// The running server's process identifier.
    var processIdentifier: Int32? { process.withLock { $0?.processIdentifier } }

    /// Kills the server (SIGKILL) and waits for it to exit.
    func kill() {
        guard let process = process.withLock({ $0 }) else { return }
        if process.isRunning { Foundation.kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    deinit {
        kill()
        if let storeDirectory { try? FileManager.default.removeItem(atPath: storeDirectory) }
    }

    /// How a start ended, as the server's log told.
    enum Start: Equatable, CustomStringConvertible {
        /// It listens for clients on this port and is ready.
        case listening(Int)
        /// It logged this fatal error (a port in use, say) or ended without one.
        case failed(String)

        var description: String {
            switch self {
            case .listening(let port): "listening on \(port)"
            case .failed(let reason): reason
            }
        }
    }

    /// Runs `nats-server` on `port` (-1: any free port) and reads its log until it is ready or
    /// has failed; the log is then read on to its end, so the server never blocks on a full pipe.
    private static func run(port: Int, storeDirectory: String?, goThreads: Int?) async throws -> (Process, Start) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["-a", "127.0.0.1", "-p", "\(port)"] + (storeDirectory.map { ["-js", "-sd", $0] } ?? [])
        if let goThreads {
            var environment = ProcessInfo.processInfo.environment
            environment["GOMAXPROCS"] = "\(goThreads)"
            process.environment = environment
        }
        let log = Pipe()
        process.standardOutput = FileHandle.nullDevice
        process.standardError = log
        try process.run()
        let start = await withCheckedContinuation { (continuation: CheckedContinuation<Start, Never>) in
            Thread {
                var reader = LogReader()
                var told = false
                while true {
                    let chunk = log.fileHandleForReading.availableData
                    if chunk.isEmpty { break }
                    if !told, let start = reader.read(chunk) {
                        continuation.resume(returning: start)
                        told = true
                    }
                }
                if !told { continuation.resume(returning: .failed("nats-server ended: \(reader.lastLine)")) }
            }.start()
        }
        if case .failed = start, process.isRunning { Foundation.kill(process.processIdentifier, SIGKILL) }
        return (process, start)
    }

    /// Reads a starting server's log lines: the port it listens on, then "Server is ready".
    private struct LogReader {
        private var pending = ""
        private var port: Int?
        private(set) var lastLine = ""

        mutating func read(_ chunk: Data) -> Start? {
            pending += String(decoding: chunk, as: UTF8.self)
            while let newline = pending.firstIndex(of: "\n") {
                let line = String(pending[..<newline])
                pending = String(pending[pending.index(after: newline)...])
                lastLine = line
                if line.contains("[FTL]") { return .failed(line) }
                if let range = line.range(of: "Listening for client connections on 127.0.0.1:") {
                    port = Int(line[range.upperBound...].trimmingCharacters(in: .whitespaces))
                }
                if line.contains("Server is ready") {
                    return port.map(Start.listening) ?? .failed("no client port in the log")
                }
            }
            return nil
        }
    }

    private static var binary: String {
        for path in ["/usr/sbin/nats-server", "/usr/bin/nats-server", "/usr/local/bin/nats-server"]
        where FileManager.default.isExecutableFile(atPath: path) {
            return path
        }
        return "nats-server"
    }
}
