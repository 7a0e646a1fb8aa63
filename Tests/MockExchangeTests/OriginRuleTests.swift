import MarketStreamCore
import MarketStreamTransport
import MockExchange
import NIOHTTP1
import Testing

/// Upbit limits every request that carries an `Origin` header to one per 10 s per client
/// (PROTOCOL.md §7); the mock applies the same rule, so a client that sends `Origin` fails its
/// tests here as it would fail against Upbit.
@Suite(.timeLimit(.minutes(1))) struct OriginRuleTests {
    static let origin: HTTPHeaders = ["Origin": "https://example.com"]

    @Test func aSecondUpgradeWithOriginWithinTenSecondsIsRefusedWith429() async throws {
        try await withMockExchange { _, endpoint in
            let url = endpoint.webSocketBase + "/websocket/v1"
            let first = try await withSocket(url, headers: Self.origin) { socket in
                try await socket.send("PING")
            }
            #expect(first == nil)
            await #expect {
                try await withSocket(url, headers: Self.origin) { _ in }
            } throws: { error in
                let error = error as? WebSocketTransportError
                return error?.code == .upgradeRefused && error?.httpStatus == 429
                    && error?.remainingRequests?.hasPrefix("group=origin") == true
            }
            // Without Origin the same client connects as often as the connect limit allows.
            for _ in 0..<3 {
                let ending = try await withSocket(url) { socket in try await socket.send("PING") }
                #expect(ending == nil)
            }
        }
    }

    @Test func restCallsWithOriginAreLimitedToo() async throws {
        try await withMockExchange { _, endpoint in
            let url = endpoint.restBase + "/v1/market/all"
            let first = try await rest(.GET, url, headers: Self.origin)
            #expect(first.status == 200)
            let second = try await rest(.GET, url, headers: Self.origin)
            #expect(second.status == 429)
            #expect(second.headers["remaining-req"]?.hasPrefix("group=origin") == true)
            let without = try await rest(.GET, url)
            #expect(without.status == 200)
        }
    }

    @Test func theRuleCanBeSwitchedOff() async throws {
        var configuration = MockExchangeConfiguration()
        configuration.originLimit = nil
        try await withMockExchange(configuration) { _, endpoint in
            for _ in 0..<3 {
                let response = try await rest(.GET, endpoint.restBase + "/v1/market/all", headers: Self.origin)
                #expect(response.status == 200)
            }
        }
    }
}
