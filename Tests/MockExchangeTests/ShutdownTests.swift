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

    /// A caller that gives up waiting for the endpoint (its task cancelled: `marketstream watch`
    /// interrupted while its embedded exchange starts) stops waiting, even if the server never runs.
    @Test func aWaitForTheEndpointEndsWhenTheWaiterGivesUp() async throws {
        let server = MockExchangeServer(configuration: MockExchangeConfiguration(), logger: quietLogger)
        for attempt in 0..<2_000 {
            let waiting = Task { try await server.endpoint() }
            for _ in 0..<(attempt % 16) { await Task.yield() }
            waiting.cancel()
            // At the deadline the server listens, which frees a waiter that missed its cancellation
            // (the test then fails instead of hanging; that server runs until the process ends).
            let outcome = await endsBefore(.seconds(10), release: { Task { try await server.run() } }) {
                await waiting.result
            }
            guard case .failure(let error)? = outcome, error is CancellationError else {
                Issue.record("attempt \(attempt): \(String(describing: outcome))")
                return
            }
        }
    }
}
