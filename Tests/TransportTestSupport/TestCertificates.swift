import Crypto
import Foundation
import NIOSSL
import SwiftASN1
import X509

/// A certificate authority and a server certificate made for one test run.
public struct TestCertificates: Sendable {
    /// What the server certificate names.
    public enum Name: Sendable {
        /// `DNS:localhost` and `IP:127.0.0.1`.
        case localhostAndLoopbackIP
        /// `DNS:localhost` only: reaching it as 127.0.0.1 must fail verification.
        case localhostOnly
    }

    /// A PEM file holding the CA.
    public let caFile: String
    /// A PEM file holding the server certificate (for `mock-server --tls-cert`).
    public let certificateFile: String
    /// A PEM file holding the server certificate's private key (`--tls-key`).
    public let keyFile: String
    /// A server TLS configuration with the certificate and its key.
    public let server: TLSConfiguration

    /// Makes a CA and a server certificate signed by it, valid for an hour either side of now.
    public init(names: Name = .localhostAndLoopbackIP) throws {
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
        let alternativeNames: [GeneralName] =
            switch names {
            case .localhostAndLoopbackIP:
                [.dnsName("localhost"), .ipAddress(ASN1OctetString(contentBytes: [127, 0, 0, 1]))]
            case .localhostOnly: [.dnsName("localhost")]
            }
        let leaf = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: .init(serverKey.publicKey),
            notValidBefore: now - 3_600, notValidAfter: now + 3_600, issuer: caName,
            subject: try DistinguishedName { CommonName("localhost") }, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                SubjectAlternativeNames(alternativeNames)
                try ExtendedKeyUsage([.serverAuth])
            },
            issuerPrivateKey: .init(caKey))
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("marketstream-tls-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let caURL = directory.appendingPathComponent("ca.pem")
        try ca.serializeAsPEM().pemString.write(to: caURL, atomically: true, encoding: .utf8)
        caFile = caURL.path
        let certificateURL = directory.appendingPathComponent("server.pem")
        try leaf.serializeAsPEM().pemString.write(to: certificateURL, atomically: true, encoding: .utf8)
        certificateFile = certificateURL.path
        let keyURL = directory.appendingPathComponent("server-key.pem")
        try serverKey.pemRepresentation.write(to: keyURL, atomically: true, encoding: .utf8)
        keyFile = keyURL.path
        server = TLSConfiguration.makeServerConfiguration(
            certificateChain: [
                .certificate(
                    try NIOSSLCertificate(bytes: Array(try leaf.serializeAsPEM().pemString.utf8), format: .pem))
            ],
            privateKey: .privateKey(try NIOSSLPrivateKey(bytes: Array(serverKey.pemRepresentation.utf8), format: .pem)))
    }
}
