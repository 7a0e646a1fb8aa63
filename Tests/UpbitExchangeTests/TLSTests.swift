import Crypto
import Foundation
import MarketStreamCore
import MarketStreamRouting
import MockExchange
import NIOSSL
import SwiftASN1
import Testing
import TransportTestSupport
import UpbitExchange
import X509

/// A connection handler that only records that it ran.
private struct NoopHandler: ConnectionHandler {
    func run(outbound: any WebSocketOutbound) async throws {}
    func receive(_ frame: WebSocketMessage) {}
    func receivedPong() {}
}

/// TLS with a certificate made in the test: refused when its CA is not trusted (verification is on
/// by default), accepted with `--ca-file`/`extraCAFile`, for the WebSocket and REST alike.
@Suite(.timeLimit(.minutes(1))) struct TLSTests {
    /// Runs a mock exchange serving `wss://` with a certificate made for this test.
    static func withTLSMock(
        _ body: @Sendable (MockExchangeEndpoint, TestCertificates) async throws -> Void
    ) async throws {
        let certificates = try TestCertificates()
        let server = MockExchangeServer(
            configuration: MockExchangeConfiguration(updatesPerSecond: 50, tls: certificates.server),
            logger: quietLogger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await server.run() }
            defer { group.cancelAll() }
            let endpoint = try await server.endpoint()
            #expect(endpoint.webSocketBase.hasPrefix("wss://127.0.0.1:"))
            try await body(endpoint, certificates)
        }
    }

    @Test func anUntrustedCertificateIsRefusedAndItsCAMakesItTrusted() async throws {
        try await Self.withTLSMock { endpoint, certificates in
            var endpoint = endpoint
            // By name, as a real exchange is reached (TLS sends the name for SNI; an IP cannot be sent).
            endpoint.host = "localhost"

            // Not trusted: the socket and REST both fail, with a typed error naming the cause.
            let untrusted = try UpbitExchange(
                configuration: .init(baseURL: endpoint.webSocketBase), logger: quietLogger)
            await #expect {
                try await untrusted.connect(to: .public, handler: NoopHandler())
            } throws: { error in
                guard let error = error as? MarketStreamError else { return false }
                return error.code == .connectionRefused && error.message.contains("TLS with localhost")
                    && error.message.contains("CERTIFICATE_VERIFY_FAILED")
            }
            // (async-http-client retries a failing connection until the call's deadline.)
            let untrustedREST = try UpbitRESTClient(baseURL: endpoint.restBase, timeout: .seconds(1))
            do {
                _ = try await untrustedREST.markets()
                Issue.record("an untrusted certificate was accepted over REST")
            } catch let error as UpbitRESTError {
                #expect(error.reason == .transport && error.message.contains("CERTIFICATE_VERIFY_FAILED"))
            }

            // Trusted through the extra CA file: streaming and REST work.
            let trusted = try UpbitExchange(
                configuration: .init(baseURL: endpoint.webSocketBase, extraCAFile: certificates.caFile),
                logger: quietLogger)
            #expect(try await trusted.rest.markets().count == 22, "20 markets and the two cross-venue ones")
            #expect(try await Self.tickers(through: trusted) == 2)
        }
    }

    /// Two KRW-BTC tickers through a router over `upbit`'s socket.
    static func tickers(through upbit: UpbitExchange) async throws -> Int {
        let router = MarketDataRouter(
            managers: [upbit], configuration: RouterConfiguration(debounce: .milliseconds(20)), logger: quietLogger)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await router.run() }
            defer { group.cancelAll() }
            return try await router.subscribe(to: .ticker, markets: [MarketCode("KRW-BTC")]).first(2).count
        }
    }

    /// A gateway on an IP address: no SNI is sent (an IP cannot be), and the certificate is checked
    /// against its IP addresses, so a trusted certificate for 127.0.0.1 streams.
    @Test func anIPLiteralEndpointIsVerifiedAgainstTheCertificatesIPAddresses() async throws {
        try await Self.withTLSMock { endpoint, certificates in
            let upbit = try UpbitExchange(
                configuration: .init(baseURL: endpoint.webSocketBase, extraCAFile: certificates.caFile),
                logger: quietLogger)
            #expect(try await Self.tickers(through: upbit) == 2)
        }
    }
}
