import Logging
import MarketStreamCore
import NIOHTTP1
import NIOPosix
import Testing
import TransportTestSupport
import UpbitExchange

/// What the Upbit module's upgrade request carries, as a recording server sees it: Host, the
/// WebSocket handshake headers and, on the private channel, the Bearer token — never `Origin`
/// (Upbit limits requests with it to one per 10 s).
@Suite(.timeLimit(.minutes(1))) struct UpgradeHeaderTests {
    private struct OneMessage: ConnectionHandler {
        func run(outbound: any WebSocketOutbound) async throws { try await outbound.send(.text("[]")) }
        func receive(_ message: WebSocketMessage) {}
        func receivedPong() {}
    }

    @Test func theUpgradeCarriesNoOriginOnEitherChannel() async throws {
        let server = try await RecordingWebSocketServer()
        defer { Task { await server.shutdown() } }
        let upbit = try UpbitExchange(
            configuration: .init(baseURL: "ws://127.0.0.1:\(server.port)", credentials: keys), logger: quietLogger)
        try await upbit.connect(to: .public, handler: OneMessage())
        try await upbit.connect(to: .private, handler: OneMessage())
        let requests = server.requests
        #expect(requests.map(\.uri) == ["/websocket/v1", "/websocket/v1/private"])
        let handshake: Set<String> = ["host", "connection", "upgrade", "sec-websocket-key", "sec-websocket-version"]
        #expect(Set(requests[0].headers.map { $0.name.lowercased() }) == handshake)
        #expect(Set(requests[1].headers.map { $0.name.lowercased() }) == handshake.union(["authorization"]))
        #expect(requests[1].headers.first(name: "Authorization")?.hasPrefix("Bearer ") == true)
        #expect(requests.allSatisfy { $0.headers["Origin"].isEmpty })
    }
}
