import Crypto
import Foundation

/// Signs Upbit JWTs with swift-crypto's HMAC: HS512 by default (HS256 selectable), claims
/// `access_key` and a fresh UUID `nonce` for every token, plus `query_hash` (SHA-512 of the
/// un-encoded query string) and `query_hash_alg` when a REST call has parameters, and — for
/// Bithumb — `timestamp`, the epoch milliseconds when the token was made.
public struct UpbitTokenSigner: Sendable, CustomStringConvertible {
    /// The signing algorithm.
    public enum Algorithm: String, Sendable { case hs256 = "HS256", hs512 = "HS512" }

    private let credentials: UpbitCredentials
    private let algorithm: Algorithm
    private let makeNonce: @Sendable () -> String
    private let timestamp: (@Sendable () -> Int64)?

    /// Creates a signer.
    /// - Parameters:
    ///   - credentials: The key pair.
    ///   - algorithm: HS512 (default) or HS256.
    ///   - timestampClaim: Whether each token carries a `timestamp` claim (Bithumb).
    ///   - makeNonce: Produces each token's nonce (a fresh UUID by default).
    ///   - now: The epoch milliseconds for the `timestamp` claim (the system clock by default).
    public init(
        credentials: UpbitCredentials, algorithm: Algorithm = .hs512, timestampClaim: Bool = false,
        makeNonce: @escaping @Sendable () -> String = { UUID().uuidString.lowercased() },
        now: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970 * 1_000) }
    ) {
        self.credentials = credentials
        self.algorithm = algorithm
        self.makeNonce = makeNonce
        self.timestamp = timestampClaim ? now : nil
    }

    /// A token for a WebSocket connection or a REST call.
    /// - Parameter query: The un-encoded query string (or the body's `k=v&…` form) of a REST call
    ///   with parameters; `nil` for none.
    /// - Returns: The JWT (without the `Bearer ` prefix).
    public func token(query: String? = nil) -> String {
        var claims = [("access_key", credentials.accessKey), ("nonce", makeNonce())]
        if let query, !query.isEmpty {
            claims.append(("query_hash", Self.hex(SHA512.hash(data: Data(query.utf8)))))
            claims.append(("query_hash_alg", "SHA512"))
        }
        let header = Self.base64URL(Data("{\"alg\":\"\(algorithm.rawValue)\",\"typ\":\"JWT\"}".utf8))
        var members = claims.map { "\"\($0.0)\":\"\(Self.escape($0.1))\"" }
        if let timestamp { members.insert("\"timestamp\":\(timestamp())", at: 2) }
        let payload = Self.base64URL(Data(("{" + members.joined(separator: ",") + "}").utf8))
        let input = Data("\(header).\(payload)".utf8)
        let key = SymmetricKey(data: Data(credentials.secretKey.utf8))
        let signature: Data
        switch algorithm {
        case .hs256: signature = Data(HMAC<SHA256>.authenticationCode(for: input, using: key))
        case .hs512: signature = Data(HMAC<SHA512>.authenticationCode(for: input, using: key))
        }
        return "\(header).\(payload).\(Self.base64URL(signature))"
    }

    /// `Bearer <token>`, for the `Authorization` header.
    public func authorization(query: String? = nil) -> String { "Bearer \(token(query: query))" }

    /// Never shows the key or a token.
    public var description: String { "UpbitTokenSigner(\(algorithm.rawValue), \(credentials))" }

    static func hex(_ digest: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var bytes: [UInt8] = []
        for byte in digest {
            bytes.append(digits[Int(byte >> 4)])
            bytes.append(digits[Int(byte & 0xF)])
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    static func base64URL(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    private static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
    }
}
