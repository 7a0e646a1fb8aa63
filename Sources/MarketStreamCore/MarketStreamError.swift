//===----------------------------------------------------------------------===//
// MarketStream — the one error type.
//===----------------------------------------------------------------------===//

/// The error every MarketStream module throws.
///
/// Match on ``code``; new codes can be added without breaking a `switch` over them, and no
/// caller needs to compare error strings. ``message`` is for people and never holds a secret.
public struct MarketStreamError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong, as an opaque, extensible code.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Base: String, Hashable, Sendable {
            case invalidMarketCode, unknownDataKind, unsupportedDataKind, invalidArgument
            case duplicateClientID, clientClosed, routerShutDown, unknownExchange
            case connectionClosed, connectionRefused, connectionStalled, exchangeError
            case rateLimited, malformedFrame, subscriberTooSlow, authenticationUnavailable
            case timedOut, requestRejected, handlerFailed
        }

        fileprivate let base: Base

        /// A market code is not `QUOTE-BASE` in upper case.
        public static var invalidMarketCode: Self { .init(base: .invalidMarketCode) }
        /// A data kind name is not one MarketStream or a registered handler knows.
        public static var unknownDataKind: Self { .init(base: .unknownDataKind) }
        /// The exchange has no channel that carries the requested data kind.
        public static var unsupportedDataKind: Self { .init(base: .unsupportedDataKind) }
        /// An argument is outside its allowed range (for example an empty market list).
        public static var invalidArgument: Self { .init(base: .invalidArgument) }
        /// A client handle with the same identifier is already open.
        public static var duplicateClientID: Self { .init(base: .duplicateClientID) }
        /// The client handle was closed.
        public static var clientClosed: Self { .init(base: .clientClosed) }
        /// The router has shut down (or never ran) and takes no new subscriptions.
        public static var routerShutDown: Self { .init(base: .routerShutDown) }
        /// No exchange module with this identifier is registered with the router.
        public static var unknownExchange: Self { .init(base: .unknownExchange) }
        /// The connection closed.
        public static var connectionClosed: Self { .init(base: .connectionClosed) }
        /// The exchange refused the connection attempt.
        public static var connectionRefused: Self { .init(base: .connectionRefused) }
        /// The connection went silent for longer than the exchange's tolerance.
        public static var connectionStalled: Self { .init(base: .connectionStalled) }
        /// The exchange sent an error frame.
        public static var exchangeError: Self { .init(base: .exchangeError) }
        /// A rate limit was reached.
        public static var rateLimited: Self { .init(base: .rateLimited) }
        /// A frame could not be decoded.
        public static var malformedFrame: Self { .init(base: .malformedFrame) }
        /// A lossless subscriber's buffer filled up, so its subscription ended.
        public static var subscriberTooSlow: Self { .init(base: .subscriberTooSlow) }
        /// A private data kind was requested, but no credentials are configured.
        public static var authenticationUnavailable: Self { .init(base: .authenticationUnavailable) }
        /// An operation did not complete in time.
        public static var timedOut: Self { .init(base: .timedOut) }
        /// A request was rejected before it was sent, because the exchange would reject it.
        public static var requestRejected: Self { .init(base: .requestRejected) }

        /// A data-type handler failed to start for a market.
        public static var handlerFailed: Self { .init(base: .handlerFailed) }

        public var description: String { base.rawValue }
    }

    /// What went wrong.
    public var code: Code
    /// A human-readable explanation; never contains credentials or tokens.
    public var message: String
    /// The exchange involved, when there is one.
    public var exchange: ExchangeID?

    /// Creates an error.
    /// - Parameters:
    ///   - code: What went wrong.
    ///   - message: A human-readable explanation without secrets.
    ///   - exchange: The exchange involved, if any.
    public init(_ code: Code, _ message: String, exchange: ExchangeID? = nil) {
        self.code = code
        self.message = message
        self.exchange = exchange
    }

    /// Whether a stream must be set up again after this error (the connection is gone).
    public var requiresReconnect: Bool {
        switch code.base {
        case .connectionClosed, .connectionRefused, .connectionStalled, .exchangeError, .rateLimited:
            return true
        default:
            return false
        }
    }

    public var description: String {
        if let exchange {
            return "\(exchange): \(code): \(message)"
        }
        return "\(code): \(message)"
    }
}
