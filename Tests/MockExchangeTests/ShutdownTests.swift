import MarketStreamTesting
import MockExchange
import Testing

/// The mock exchange stopped the way `marketstream watch`, the examples and
/// `marketstream-gateway record` stop their embedded one: its task cancelled, here while
/// connections keep arriving. A Hummingbird server cancelled while it accepts a connection can trap
/// in SwiftNIO (apple/swift-nio#3481; it did in the gateway's dashboard); the mock's must not.
@Suite(.timeLimit(.minutes(1))) struct ShutdownTests {
    @Test func cancellingTheServerWhileItAcceptsConnectionsEndsItWithoutATrap() async throws {
        for _ in 0..<10 {
            let server = MockExchangeServer(
                configuration: MockExchangeConfiguration(credentials: [testCredentials]), logger: quietLogger)
            let running = Task { try await server.run() }
            let endpoint = try await server.endpoint()
            // Two threads connecting without pause while the server stops: its shutdown meets
            // connections being accepted. Both have been accepted once before it stops.
            let storms = [LoopbackConnectionStorm(port: endpoint.port), LoopbackConnectionStorm(port: endpoint.port)]
            for storm in storms { await storm.firstConnection() }
            running.cancel()
            try await running.value
            for storm in storms { storm.stop() }
        }
    }
}
