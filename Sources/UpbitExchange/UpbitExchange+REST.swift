import MarketStreamCore

extension UpbitExchange {
    /// Snapshots over REST: ticker, orderbook (with the kind's depth), trade (the latest fill) and
    /// minute candles. Private kinds have no snapshot.
    public func restSnapshot(of kind: DataKind, markets: [MarketCode]) async throws -> [MarketEvent] {
        do {
            if kind == .ticker { return try await rest.tickers(markets) }
            if kind == .trade {
                var events: [MarketEvent] = []
                for market in markets { events += try await rest.trades(market, count: 1) }
                return events
            }
            if kind.isOrderbook {
                let books = try await rest.orderbooks(markets, count: kind.orderbookDepth?.rawValue ?? 30)
                return books.map { $0.deriving(kind: kind, payload: $0.payload) }
            }
            if let interval = kind.candleInterval {
                var events: [MarketEvent] = []
                for market in markets { events += try await rest.candles(market, interval: interval, count: 1) }
                return events
            }
        } catch {
            throw error.marketStreamError(exchange: exchange)
        }
        throw MarketStreamError(.unsupportedDataKind, "no REST snapshot of \(kind)", exchange: exchange)
    }

    /// The private channel falls back to polling `/v1/accounts` and the order endpoints.
    public func makeFallbackPoller(for channel: ChannelID) -> (any RESTFallbackPoller)? {
        guard channel == .private, hasCredentials else { return nil }
        return UpbitAccountPoller(rest: rest, interval: configuration.fallbackPollInterval)
    }
}
