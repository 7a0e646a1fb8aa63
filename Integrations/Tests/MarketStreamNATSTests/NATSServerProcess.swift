import Foundation
import MarketStreamNATS

/// A real `nats-server` on loopback for one test, on a port of its own, so that tests can run in
/// parallel and a test can stop and restart its server.
final class NATSServerProcess: @unchecked Sendable {
    let port: Int
    /// Where JetStream keeps its files, when it is on.
    let storeDirectory: String?
    private let lock = NSLock()
    private var process: Process?

    var url: String { "nats://127.0.0.1:\(port)" }

    private init(port: Int, jetStream: Bool) {
        self.port = port
        storeDirectory = jetStream ? NSTemporaryDirectory() + "nats-js-\(port)-\(UInt32.random(in: 0 ... .max))" : nil
    }

    /// Starts a server on a free port, with JetStream if asked.
    static func start(jetStream: Bool = false) async throws -> NATSServerProcess {
        for _ in 0..<20 {
            let server = NATSServerProcess(port: Int.random(in: 20_000...60_000), jetStream: jetStream)
            if try await server.launch() { return server }
        }
        throw NATSError(.failed, "no free port for nats-server")
    }

    /// Starts (again) on this server's port; `false` when the port is taken.
    @discardableResult
    func launch() async throws -> Bool {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = ["-a", "127.0.0.1", "-p", "\(port)"] + (storeDirectory.map { ["-js", "-sd", $0] } ?? [])
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        lock.withLock { self.process = process }
        for _ in 0..<100 {
            if !process.isRunning { return false }
            if let connection = try? await NATSConnection.connect(.init(url: url, name: "probe")) {
                await connection.close()
                return true
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        return false
    }

    /// Kills the server (SIGKILL) and waits for it to exit.
    func kill() {
        guard let process = lock.withLock({ self.process }) else { return }
        Foundation.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    deinit {
        kill()
        if let storeDirectory { try? FileManager.default.removeItem(atPath: storeDirectory) }
    }

    private static var binary: String {
        for path in ["/usr/sbin/nats-server", "/usr/bin/nats-server", "/usr/local/bin/nats-server"]
        where FileManager.default.isExecutableFile(atPath: path) {
            return path
        }
        return "nats-server"
    }
}
