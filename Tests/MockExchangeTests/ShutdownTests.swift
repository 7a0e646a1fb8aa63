import Foundation
import MockExchange
import Synchronization
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The mock exchange stopped the way `marketstream watch`, the examples and
/// `marketstream-gateway record` stop their embedded one: its task cancelled, here while
/// connections keep arriving. A Hummingbird server cancelled while it accepts a connection can trap
/// in SwiftNIO (apple/swift-nio#3481; it did in the gateway's dashboard); the mock's must not.
@Suite(.timeLimit(.minutes(1))) struct ShutdownTests {
    /// Whether something accepts connections on the loopback `port`.
    static func connects(to port: Int) -> Bool {
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
                    if ShutdownTests.connects(to: port) { opened.add(1, ordering: .relaxed) }
                }
            }
            thread.start()
        }

        func stop() {
            stopped.store(true, ordering: .relaxed)
            done.wait()
        }
    }

    @Test func cancellingTheServerWhileItAcceptsConnectionsEndsItWithoutATrap() async throws {
        // Two threads connecting without pause: each cancellation meets connections being accepted.
        for _ in 0..<10 {
            let server = MockExchangeServer(
                configuration: MockExchangeConfiguration(credentials: [testCredentials]), logger: quietLogger)
            let running = Task { try await server.run() }
            let endpoint = try await server.endpoint()
            let storm = ConnectionStorm(port: endpoint.port)
            let second = ConnectionStorm(port: endpoint.port)
            while storm.opened.load(ordering: .relaxed) < 20 { await Task.yield() }
            running.cancel()
            try await running.value
            storm.stop()
            second.stop()
        }
    }
}
