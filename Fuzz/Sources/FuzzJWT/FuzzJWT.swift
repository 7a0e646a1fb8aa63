import CFuzzDriver
import Crypto
import Foundation
@testable import UpbitExchange

@testable import MockExchange

let credentials = [MockCredentials(accessKey: "fuzz-access", secretKey: "fuzz-secret-key-0123456789")]
let signer = UpbitTokenSigner(
    credentials: UpbitCredentials(accessKey: "fuzz-access", secretKey: "fuzz-secret-key-0123456789"))

/// The mock exchange's JWT verifier, three ways from one input:
/// - the input as a whole `Authorization` value: claims or a typed rejection;
/// - the input split at its first NUL into a header and a payload, base64url-encoded and signed
///   with the known secret, so the claims checks past the signature are reached;
/// - the input as a query string given to Upbit's client signer: its token must verify, with the
///   query's hash.
/// No rejection ever carries the secret.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJWT(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let text = String(decoding: bytes, as: UTF8.self)

    check(text)
    check("Bearer " + text)

    let split = bytes.firstIndex(of: 0) ?? bytes.endIndex
    let header = Data(bytes[..<split])
    let payload = Data(bytes[min(split + 1, bytes.endIndex)...])
    for algorithm in ["HS256", "HS512"] {
        let signed = base64URL(header) + "." + base64URL(payload)
        let key = SymmetricKey(data: Data(credentials[0].secretKey.utf8))
        let signature =
            algorithm == "HS256"
            ? Data(HMAC<SHA256>.authenticationCode(for: Data(signed.utf8), using: key))
            : Data(HMAC<SHA512>.authenticationCode(for: Data(signed.utf8), using: key))
        if let claims = check("Bearer " + signed + "." + base64URL(signature)) {
            precondition(claims.accessKey == credentials[0].accessKey && !claims.nonce.isEmpty)
        }
    }

    let token = signer.authorization(query: text)
    guard let claims = check(token) else { preconditionFailure("a token of Upbit's signer was rejected") }
    if !text.isEmpty { precondition(claims.queryHash == JWTVerifier.queryHash(text)) }
    return 0
}

@discardableResult
func check(_ authorization: String) -> JWTVerifier.Claims? {
    do {
        return try JWTVerifier.verify(authorization: authorization, credentials: credentials)
    } catch {
        precondition(
            !error.message.contains(credentials[0].secretKey) && !error.name.contains(credentials[0].secretKey))
        return nil
    }
}

func base64URL(_ data: Data) -> String { UpbitTokenSigner.base64URL(data) }

/// SwiftPM links an executable's entry point as `FuzzJWT_main`: it hands over to libFuzzer's driver.
@_cdecl("FuzzJWT_main")
public func fuzzJWTMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv) { data, size in fuzzJWT(data, size) }
}
