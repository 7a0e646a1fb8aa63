import Foundation
import SwiftASN1
import X509

/// The host `mock-server` announces with `--tls-cert`: one the certificate names, so that a
/// client verifying it against the announced address succeeds.
enum CertificateName {
    /// `host` when the certificate names it (as a DNS name or an IP address); otherwise
    /// `localhost` for a loopback address when the certificate names that, else its first DNS name
    /// that is not a wildcard, else `host`.
    /// - Parameter pem: The certificate chain file's contents; the first certificate is the leaf.
    static func announcedHost(for host: String, certificatePEM pem: String) -> String {
        guard let leaf = try? Certificate(pemEncoded: pem),
            let names = try? leaf.extensions.subjectAlternativeNames
        else { return host }
        var dnsNames: [String] = []
        var addresses: [[UInt8]] = []
        for name in names {
            switch name {
            case .dnsName(let dns): dnsNames.append(dns.lowercased())
            case .ipAddress(let octets): addresses.append(Array(octets.bytes))
            default: continue
            }
        }
        if dnsNames.contains(host.lowercased()) { return host }
        if let bytes = ipBytes(host), addresses.contains(bytes) { return host }
        if isLoopback(host), dnsNames.contains("localhost") { return "localhost" }
        return dnsNames.first { !$0.hasPrefix("*") } ?? host
    }

    private static func ipBytes(_ text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 { return withUnsafeBytes(of: &v4) { Array($0) } }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 { return withUnsafeBytes(of: &v6) { Array($0) } }
        return nil
    }

    private static func isLoopback(_ host: String) -> Bool {
        host == "::1" || host.hasPrefix("127.") || host.lowercased() == "localhost"
    }
}
