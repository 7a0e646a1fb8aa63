import MarketStreamCore

/// Why an Upbit REST call failed. Never carries a key or a token.
public struct UpbitRESTError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong.
    public enum Reason: Sendable, Hashable {
        /// The exchange answered with an error body: HTTP status and Upbit's `error.name`
        /// (`jwt_verification`, `nonce_used`, `insufficient_funds_bid`, `404`, …).
        case rejected(status: Int, name: String)
        /// 429: the group's per-second limit was exceeded, and retrying after the next second
        /// boundary did not help.
        case rateLimited(UpbitRateGroup)
        /// 418: Upbit blocked this IP or key for continuing after 429s. The client stops calling
        /// the group (no automatic retry) until `retryAfter` passes, when Upbit says.
        case blocked(UpbitRateGroup, retryAfter: Duration?)
        /// A private call without configured credentials.
        case credentialsMissing
        /// The request could not be made or answered (connection refused, timeout, TLS).
        case transport
        /// The answer was not the JSON Upbit documents.
        case malformedResponse
        /// The arguments were refused before sending.
        case invalidRequest
    }

    /// What went wrong.
    public var reason: Reason
    /// The endpoint (`GET /v1/accounts`), without query parameters.
    public var endpoint: String
    /// A human-readable explanation (the exchange's message when it sent one).
    public var message: String

    /// Creates an error.
    public init(_ reason: Reason, endpoint: String, message: String) {
        self.reason = reason
        self.endpoint = endpoint
        self.message = message
    }

    /// Upbit's `error.name`, when the exchange sent an error body.
    public var name: String? {
        if case .rejected(_, let name) = reason { return name }
        return nil
    }

    public var description: String {
        switch reason {
        case .rejected(let status, let name): "\(endpoint): HTTP \(status) \(name): \(message)"
        case .rateLimited(let group): "\(endpoint): rate limited in group \(group): \(message)"
        case .blocked(let group, let after):
            "\(endpoint): blocked by the exchange in group \(group) (HTTP 418)"
                + (after.map { ", retry after \($0)" } ?? ", not retrying") + ": \(message)"
        case .credentialsMissing: "\(endpoint): needs API credentials and none are configured"
        case .transport: "\(endpoint): \(message)"
        case .malformedResponse: "\(endpoint): malformed response: \(message)"
        case .invalidRequest: "\(endpoint): invalid request: \(message)"
        }
    }

    /// The same failure as a ``MarketStreamError`` (for the router and the CLI).
    public func marketStreamError(exchange: ExchangeID) -> MarketStreamError {
        let code: MarketStreamError.Code =
            switch reason {
            case .rejected(let status, _) where status == 401 || status == 403: .authenticationUnavailable
            case .rejected: .requestRejected
            case .rateLimited, .blocked: .rateLimited
            case .credentialsMissing: .authenticationUnavailable
            case .transport: .connectionRefused
            case .malformedResponse: .malformedFrame
            case .invalidRequest: .invalidArgument
            }
        return MarketStreamError(code, description, exchange: exchange)
    }
}
