import Crypto
import Foundation

/// Verifies Upbit-style JWTs (HS256 or HS512) signed with a known secret key.
enum JWTVerifier {
    /// What a valid token carries.
    struct Claims: Sendable {
        var accessKey: String
        var nonce: String
        var queryHash: String?
        var queryHashAlgorithm: String?
        /// Bithumb's `timestamp` claim (epoch milliseconds), when the token has one.
        var timestamp: Int64?
    }

    /// Why a token was rejected, named as Upbit's REST errors.
    struct Rejection: Error, Sendable {
        var name: String
        var message: String
    }

    /// Verifies an `Authorization` header value.
    /// - Parameters:
    ///   - authorization: `Bearer <JWT>`.
    ///   - credentials: The keys the exchange knows.
    /// - Returns: The token's claims.
    /// - Throws: A ``Rejection`` (`no_authorization_token`, `jwt_verification`, `invalid_access_key`).
    static func verify(authorization: String?, credentials: [MockCredentials]) throws(Rejection) -> Claims {
        guard let authorization, authorization.hasPrefix("Bearer ") else {
            throw Rejection(name: "no_authorization_token", message: "Authorization 토큰이 없습니다.")
        }
        let token = authorization.dropFirst("Bearer ".count)
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let headerData = decodeBase64URL(parts[0]), let payloadData = decodeBase64URL(parts[1]),
            let signature = decodeBase64URL(parts[2]),
            let header = (try? JSONSerialization.jsonObject(with: headerData)) as? [String: Any],
            let payload = (try? JSONSerialization.jsonObject(with: payloadData)) as? [String: Any],
            let algorithm = header["alg"] as? String
        else { throw Rejection(name: "jwt_verification", message: "잘못된 JWT 입니다.") }
        guard let accessKey = payload["access_key"] as? String,
            let secret = credentials.first(where: { $0.accessKey == accessKey })?.secretKey
        else { throw Rejection(name: "invalid_access_key", message: "잘못된 엑세스 키입니다.") }
        let key = SymmetricKey(data: Data(secret.utf8))
        let signed = Data("\(parts[0]).\(parts[1])".utf8)
        let valid: Bool
        switch algorithm {
        case "HS256": valid = HMAC<SHA256>.isValidAuthenticationCode(signature, authenticating: signed, using: key)
        case "HS512": valid = HMAC<SHA512>.isValidAuthenticationCode(signature, authenticating: signed, using: key)
        default: valid = false
        }
        guard valid else { throw Rejection(name: "jwt_verification", message: "JWT 서명 검증에 실패했습니다.") }
        guard let nonce = payload["nonce"] as? String, !nonce.isEmpty else {
            throw Rejection(name: "jwt_verification", message: "nonce 가 없습니다.")
        }
        return Claims(
            accessKey: accessKey, nonce: nonce, queryHash: payload["query_hash"] as? String,
            queryHashAlgorithm: payload["query_hash_alg"] as? String,
            timestamp: (payload["timestamp"] as? NSNumber)?.int64Value)
    }

    /// Lower-case hex SHA-512 of the un-encoded query string.
    static func queryHash(_ query: String) -> String {
        SHA512.hash(data: Data(query.utf8)).map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }

    private static func decodeBase64URL(_ text: Substring) -> Data? {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        return Data(base64Encoded: base64)
    }
}
