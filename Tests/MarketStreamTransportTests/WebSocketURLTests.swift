import MarketStreamTransport
import Testing

@Suite struct WebSocketURLTests {
    @Test func addressesAreParsedIntoHostPortAndTarget() throws {
        let upbit = try WebSocketURL("wss://api.upbit.com/websocket/v1")
        #expect(upbit.isSecure && upbit.host == "api.upbit.com" && upbit.port == 443)
        #expect(upbit.requestTarget == "/websocket/v1" && upbit.hostHeader == "api.upbit.com")
        #expect(!upbit.hostIsIPLiteral)

        let local = try WebSocketURL("ws://127.0.0.1:8080")
        #expect(!local.isSecure && local.port == 8080 && local.requestTarget == "/")
        #expect(local.hostIsIPLiteral && local.hostHeader == "127.0.0.1:8080")

        let v6 = try WebSocketURL("wss://[::1]:9443/ws?x=1")
        #expect(v6.host == "::1" && v6.port == 9443 && v6.requestTarget == "/ws?x=1")
        #expect(v6.hostIsIPLiteral && v6.hostHeader == "[::1]:9443")
        #expect(v6.description == "wss://[::1]:9443/ws?x=1")
    }

    @Test(arguments: [
        "http://example.com", "ws://", "ws://:80", "ws://host:0", "ws://host:70000", "ws://host:abc",
        "ws://user@host", "wss://[::1", "ws://[::1]x", "example.com",
    ])
    func badAddressesAreTypedErrors(text: String) {
        #expect {
            _ = try WebSocketURL(text)
        } throws: { error in
            (error as? WebSocketTransportError)?.code == .invalidURL
        }
    }
}
