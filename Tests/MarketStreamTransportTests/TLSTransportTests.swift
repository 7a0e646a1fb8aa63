import MarketStreamCore
import MarketStreamTransport
import NIOPosix
import Testing
import TransportTestSupport

/// TLS: verification is on by default; a host name is sent as SNI and matched against DNS names,
/// an IP literal is sent no SNI and matched against IP addresses.
@Suite(.timeLimit(.minutes(1))) struct TLSTransportTests {
    let loop = MultiThreadedEventLoopGroup.singleton.next()

    private func handler() -> RecordingHandler {
        RecordingHandler(eventLoop: loop) { outbound, handler in
            try await outbound.send(.text("over tls"))
            _ = await handler.next(1)
        }
    }

    @Test(arguments: ["127.0.0.1", "localhost"])
    func aTrustedCertificateIsAcceptedByIPAndByName(host: String) async throws {
        let certificates = try TestCertificates(names: .localhostAndLoopbackIP)
        let server = try await RecordingWebSocketServer(tls: certificates.server)
        defer { Task { await server.shutdown() } }
        let handler = handler()
        let result = await connect(
            "/echo", port: server.port, secure: true, host: host,
            configuration: .init(tls: WebSocketTLS(extraCAFile: certificates.caFile)), handler: handler)
        #expect(throws: Never.self) { try result.get() }
        #expect(handler.messages.map { String(decoding: $0.bytes, as: UTF8.self) } == ["over tls"])
    }

    @Test func anIPLiteralIsCheckedAgainstTheCertificatesIPAddresses() async throws {
        // The certificate names only `localhost`: reached as 127.0.0.1 it must be refused.
        let certificates = try TestCertificates(names: .localhostOnly)
        let server = try await RecordingWebSocketServer(tls: certificates.server)
        defer { Task { await server.shutdown() } }
        let result = await connect(
            "/echo", port: server.port, secure: true, host: "127.0.0.1",
            configuration: .init(tls: WebSocketTLS(extraCAFile: certificates.caFile)), handler: handler())
        #expect(result.transportError?.code == .tlsFailed)
        #expect(server.requests.isEmpty)
    }

    @Test func anUntrustedCertificateIsRefused() async throws {
        let certificates = try TestCertificates()
        let server = try await RecordingWebSocketServer(tls: certificates.server)
        defer { Task { await server.shutdown() } }
        let result = await connect("/echo", port: server.port, secure: true, host: "localhost", handler: handler())
        let error = try #require(result.transportError)
        #expect(error.code == .tlsFailed)
        #expect(error.message.contains("CERTIFICATE_VERIFY_FAILED"))
        #expect(server.requests.isEmpty)
    }
}
