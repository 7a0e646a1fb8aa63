import Foundation
import MarketStreamTesting
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

    @Test func sigintStopsServeAndItsDashboardWithoutAnError() async throws {
        try await GatewayHarness.run { h in
            let port = try Self.freePort()
            let storm = Mutex<LoopbackConnectionStorm?>(nil)
            // Interrupted once the dashboard serves, while connections keep arriving: its server
            // is accepting one when the signal comes (cancelling it then trapped in SwiftNIO).
            let run = try await BuiltProgram.run(
                "marketstream-gateway",
                [
                    "serve", "--nats", h.nats.url, "--upstream", h.mockBase, "--id", "stopping", "--dashboard-port",
                    "\(port)",
                ]
            ) {
                // The dashboard, in another process, listens once a connection to its port succeeds.
                while !LoopbackConnectionStorm.connects(to: port) {
                    guard (try? await Task.sleep(for: .milliseconds(50))) != nil else { return }
                }
                // Interrupted once the storm's own connections are being accepted.
                let current = LoopbackConnectionStorm(port: port)
                storm.withLock { $0 = current }
                await current.firstConnection()
            }
            storm.withLock { $0?.stop() }
            #expect(storm.withLock { $0?.connectionsOpened ?? 0 } > 0)
            #expect(run.status == 130, "interrupted: 128 + SIGINT (\(run.errors))")
            #expect(run.errors.contains("dashboard on http://127.0.0.1:\(port)/"), "\(run.errors)")
            let complaints = run.errors.split(separator: "\n").filter {
                $0.contains(" error ") || $0.contains(" critical ")
            }
            #expect(complaints.isEmpty, "\(complaints)")
        }
    }
}
