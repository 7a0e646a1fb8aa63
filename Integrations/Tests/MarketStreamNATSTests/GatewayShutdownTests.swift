import Foundation
import Synchronization
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `serve` stopped as a user stops it: Ctrl-C ends it with status 130 and nothing logged as an
/// error on the way out (Hummingbird had logged its cancelled accept loop as two errors).
@Suite(.timeLimit(.minutes(1))) struct GatewayShutdownTests {
    /// A loopback port nothing listens on right now.
    static func freePort() throws -> Int {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                bind(socket, socketAddress, length) == 0 && getsockname(socket, socketAddress, &length) == 0
            }
        }
        guard bound else { throw POSIXError(.EADDRNOTAVAIL) }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Whether something accepts connections on the loopback `port`.
    static func isListening(_ port: Int) -> Bool {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        return withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }

    /// Opens and closes connections to a loopback port, one after another, on a thread of its
    /// own, until stopped.
    final class ConnectionStorm: Sendable {
        private let stopped = Atomic<Bool>(false)
        private let done = DispatchSemaphore(value: 0)
        /// Connections opened.
        let opened = Atomic<Int>(0)

        init(port: Int) {
            let thread = Thread { [self] in
                defer { done.signal() }
                while !stopped.load(ordering: .relaxed) {
                    if GatewayShutdownTests.isListening(port) { opened.add(1, ordering: .relaxed) }
                }
            }
            thread.start()
        }

        func stop() {
            stopped.store(true, ordering: .relaxed)
            done.wait()
        }
    }

    @Test func sigintStopsServeAndItsDashboardWithoutAnError() async throws {
        try await GatewayHarness.run { h in
            let port = try Self.freePort()
            let storm = Mutex<ConnectionStorm?>(nil)
            // Interrupted once the dashboard serves, while connections keep arriving: its server
            // is accepting one when the signal comes (cancelling it then trapped in SwiftNIO).
            let run = try await BuiltProgram.run(
                "marketstream-gateway",
                [
                    "serve", "--nats", h.nats.url, "--upstream", h.mockBase, "--id", "stopping", "--dashboard-port",
                    "\(port)",
                ]
            ) {
                guard Self.isListening(port) else { return false }
                storm.withLock { $0 = $0 ?? ConnectionStorm(port: port) }
                return true
            }
            storm.withLock { $0?.stop() }
            #expect(storm.withLock { $0?.opened.load(ordering: .relaxed) ?? 0 } > 0)
            #expect(run.status == 130, "interrupted: 128 + SIGINT (\(run.errors))")
            #expect(run.errors.contains("dashboard on http://127.0.0.1:\(port)/"), "\(run.errors)")
            let complaints = run.errors.split(separator: "\n").filter {
                $0.contains(" error ") || $0.contains(" critical ")
            }
            #expect(complaints.isEmpty, "\(complaints)")
        }
    }
}
