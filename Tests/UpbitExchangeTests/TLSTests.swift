import Crypto
import Foundation
import MarketStreamCore
import MarketStreamRouting
import MockExchange
import NIOSSL
import SwiftASN1
import Testing
import UpbitExchange
import X509

/// A certificate authority and a server certificate for 127.0.0.1, made for one test run.
struct TestCertificates {
    let caFile: String
    let server: TLSConfiguration

    init() throws {
        let now = Date()
        let caKey = P256.Signing.PrivateKey()
        let caName = try DistinguishedName { CommonName("MarketStream Test CA") }
        let ca = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: .init(caKey.publicKey),
            notValidBefore: now - 3_600, notValidAfter: now + 3_600, issuer: caName, subject: caName,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil))
                Critical(KeyUsage(keyCertSign: true))
            },
            issuerPrivateKey: .init(caKey))
        let serverKey = P256.Signing.PrivateKey()
        let leaf = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: .init(serverKey.publicKey),
            notValidBefore: now - 3_600, notValidAfter: now + 3_600, issuer: caName,
            subject: try DistinguishedName { CommonName("127.0.0.1") }, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                SubjectAlternativeNames([
                    .dnsName("localhost"), .ipAddress(ASN1OctetString(contentBytes: [127, 0, 0, 1])),
                ])
                try ExtendedKeyUsage([.serverAuth])
            },
            issuerPrivateKey: .init(caKey))
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("marketstream-tls-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let caURL = directory.appendingPathComponent("ca.pem")
        try ca.serializeAsPEM().pemString.write(to: caURL, atomically: true, encoding: .utf8)
        caFile = caURL.path
        server = TLSConfiguration.makeServerConfiguration(
            certificateChain: [
                .certificate(
                    try NIOSSLCertificate(bytes: Array(try leaf.serializeAsPEM().pemString.utf8), format: .pem))
            ],
            privateKey: .privateKey(try NIOSSLPrivateKey(bytes: Array(serverKey.pemRepresentation.utf8), format: .pem)))
    }
}

/// A connection handler that only records that it ran.
private struct NoopHandler: ConnectionHandler {
    func run(outbound: any WebSocketOutbound) async throws {}
    func receive(_ frame: WebSocketMessage) {}
    func receivedPong() {}
}

/// TLS with a certificate made in the test: refused when its CA is not trusted (verification is on
/// by default), accepted with `--ca-file`/`extraCAFile`, for the WebSocket and REST alike.
@Suite(.timeLimit(.minutes(1))) struct TLSTests {
    @Test func anUntrustedCertificateIsRefusedAndItsCAMakesItTrusted() async throws {
        let certificates = try TestCertificates()
        let server = MockExchangeServer(
            configuration: MockExchangeConfiguration(updatesPerSecond: 50, tls: certificates.server),
            logger: quietLogger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await server.run() }
            defer { group.cancelAll() }
            var endpoint = await server.endpoint()
            #expect(endpoint.webSocketBase.hasPrefix("wss://127.0.0.1:"))
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
            #expect(try await trusted.rest.markets().count == 20)
            let router = MarketDataRouter(
                managers: [trusted], configuration: RouterConfiguration(debounce: .milliseconds(20)),
                logger: quietLogger)
            group.addTask { try await router.run() }
            let events = try await router.subscribe(to: .ticker, markets: [MarketCode("KRW-BTC")]).first(2)
            #expect(events.count == 2)
        }
    }

    /// A gateway on an IP address: no SNI is sent (an IP cannot be), and the certificate is checked
    /// against its IP addresses, so a trusted certificate for 127.0.0.1 streams.
    @Test func anIPLiteralEndpointIsVerifiedAgainstTheCertificatesIPAddresses() async throws {
        let certificates = try TestCertificates()
        let server = MockExchangeServer(
            configuration: MockExchangeConfiguration(updatesPerSecond: 50, tls: certificates.server),
            logger: quietLogger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await server.run() }
            defer { group.cancelAll() }
            let endpoint = await server.endpoint()
            #expect(endpoint.webSocketBase.hasPrefix("wss://127.0.0.1:"))
            let upbit = try UpbitExchange(
                configuration: .init(baseURL: endpoint.webSocketBase, extraCAFile: certificates.caFile),
                logger: quietLogger)
            let router = MarketDataRouter(
                managers: [upbit], configuration: RouterConfiguration(debounce: .milliseconds(20)),
                logger: quietLogger)
            group.addTask { try await router.run() }
            let events = try await router.subscribe(to: .ticker, markets: [MarketCode("KRW-BTC")]).first(2)
            #expect(events.count == 2)
        }
    }
}
