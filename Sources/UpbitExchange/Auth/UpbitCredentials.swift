/// An Upbit API key pair. Its `description` never shows the secret, and the access key only
/// partially, so credentials can be logged or printed by accident without leaking.
public struct UpbitCredentials: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible {
    /// The access key.
    public let accessKey: String
    /// The secret key (its raw UTF-8 bytes sign tokens; it is not base64-decoded).
    public let secretKey: String

    /// Creates credentials.
    /// - Parameters:
    ///   - accessKey: The access key.
    ///   - secretKey: The secret key.
    public init(accessKey: String, secretKey: String) {
        self.accessKey = accessKey
        self.secretKey = secretKey
    }

    /// Reads `UPBIT_ACCESS_KEY` and `UPBIT_SECRET_KEY` (or another venue's pair, such as
    /// `BITHUMB_ACCESS_KEY` and `BITHUMB_SECRET_KEY`) from an environment dictionary.
    /// - Parameters:
    ///   - environment: For example `ProcessInfo.processInfo.environment`.
    ///   - prefix: The variables' prefix: `UPBIT` (default), `BITHUMB`, `UPBIT_SG`, …
    /// - Returns: The credentials, or `nil` when either variable is missing or empty.
    public static func fromEnvironment(_ environment: [String: String], prefix: String = "UPBIT") -> UpbitCredentials? {
        guard let access = environment[prefix + "_ACCESS_KEY"], !access.isEmpty,
            let secret = environment[prefix + "_SECRET_KEY"], !secret.isEmpty
        else { return nil }
        return UpbitCredentials(accessKey: access, secretKey: secret)
    }

    public var description: String { "UpbitCredentials(accessKey: \(accessKey.prefix(4))…, secretKey: <redacted>)" }
    public var debugDescription: String { description }
}
