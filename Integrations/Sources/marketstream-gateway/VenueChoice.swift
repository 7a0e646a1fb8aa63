import ArgumentParser
import BinanceExchange
import Logging
import MarketStreamCore
import MarketStreamRecording
import UpbitExchange

/// The venues the gateway can serve; `mock` is the embedded mock exchange (no network, no keys).
enum VenueChoice: String, CaseIterable, ExpressibleByArgument {
    case mock, upbit, bithumb, binance

    /// The exchange id the venue's module uses (and its subjects carry).
    var exchangeID: ExchangeID {
        switch self {
        case .mock: "mock"
        case .upbit: "upbit"
        case .bithumb: UpbitDialect.bithumb.exchange
        case .binance: "binance"
        }
    }

    /// The venue's module, reaching `baseURL` (`nil`: the real venue).
    func module(baseURL: String?, logger: Logger) throws(MarketStreamError) -> any AbstractWebSocketManager {
        switch self {
        case .binance:
            var configuration = BinanceExchange.Configuration()
            if let baseURL { configuration.baseURL = baseURL + "/binance" }
            return try BinanceExchange(configuration: configuration, logger: logger)
        case .mock, .upbit, .bithumb:
            let dialect = self == .bithumb ? UpbitDialect.bithumb : .upbit
            let exchange: ExchangeID = self == .mock ? "mock" : dialect.exchange
            let path = self == .bithumb && baseURL != nil ? "/bithumb" : ""
            return try UpbitExchange(
                exchange: exchange, dialect: dialect,
                configuration: .init(baseURL: baseURL.map { $0 + path }), logger: logger)
        }
    }
}

extension VenueChoice {
    /// The venue a recording's header names (by choice name or exchange id).
    /// - Throws: A ``GatewayFailure`` naming `path` when no module here decodes that venue.
    init(recordedIn header: RecordingHeader, path: String) throws(GatewayFailure) {
        guard
            let venue = VenueChoice(rawValue: header.venue)
                ?? VenueChoice.allCases.first(where: { $0.exchangeID.rawValue == header.venue })
        else {
            throw GatewayFailure("\(path) records '\(header.venue)', whose decoder this program lacks")
        }
        self = venue
    }
}
