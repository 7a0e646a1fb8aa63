import MarketStreamCore

extension MarketStreamError {
    /// The router's view of a transport failure: a refused upgrade with 401 or 403 is
    /// `.authenticationUnavailable` (the REST fallback may take over), 429 and 418 are
    /// `.rateLimited`, any other refusal or failed connect is `.connectionRefused`, a timeout is
    /// `.timedOut`, and a connection that ended is `.connectionClosed`. The message keeps the HTTP
    /// status, `Remaining-Req`, and the close code and reason.
    public init(_ error: WebSocketTransportError, exchange: ExchangeID) {
        let code: MarketStreamError.Code
        switch error.code {
        case .upgradeRefused:
            switch error.httpStatus {
            case 401?, 403?: code = .authenticationUnavailable
            case 418?, 429?: code = .rateLimited
            default: code = .connectionRefused
            }
        case .invalidURL: code = .invalidArgument
        case .timedOut: code = .timedOut
        case .connectFailed, .tlsFailed, .upgradeInvalid: code = .connectionRefused
        case .messageTooLarge, .protocolViolation, .closedByPeer, .connectionLost: code = .connectionClosed
        }
        self.init(code, error.description, exchange: exchange)
    }
}
