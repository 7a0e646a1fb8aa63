import Foundation
import MarketStreamCore

extension BinanceExchange: RESTSnapshotProvider {
    /// Snapshots from REST, one call per market: Binance answers no snapshot request on the
    /// socket, so `router.snapshot(…)` is served this way.
    ///
    /// - `orderbook…`: `GET /api/v3/depth`, the requested depth or ``Configuration/snapshotLevels``
    ///   for the whole book, with `lastUpdateId` as ``Orderbook/sequence``;
    /// - `ticker`: `GET /api/v3/ticker/24hr`, with the best bid and ask;
    /// - `trade`: the latest trade, `GET /api/v3/trades?limit=1`;
    /// - candles: the current candle, `GET /api/v3/klines?limit=1`.
    /// - Throws: ``MarketStreamError``: `.unsupportedDataKind` for what Binance does not serve (a
    ///   book depth, 10-minute candles, private kinds), and what the REST call throws.
    public func restSnapshot(of kind: DataKind, markets: [MarketCode]) async throws -> [MarketEvent] {
        guard let channel = channel(carrying: kind) else {
            throw MarketStreamError(.unsupportedDataKind, "Binance has no \(kind) here", exchange: exchange)
        }
        let probe = SubscriptionTopic(exchange: exchange, kind: kind, market: markets.first ?? .account)
        if let refusal = validate(probe, on: channel) { throw refusal }
        var events: [MarketEvent] = []
        events.reserveCapacity(markets.count)
        for market in markets {
            let snapshot: [(MarketPayload, UnixTime)]
            switch kind {
            case .ticker: snapshot = [try await rest.ticker(of: market)]
            case .trade: snapshot = try await rest.trades(of: market, limit: 1)
            case let candle where candle.candleInterval != nil:
                let candles = try await rest.klines(of: market, interval: candle.candleInterval!, limit: 1)
                snapshot = candles.map { (.candle($0), Self.wallClock()) }
            default:
                let levels = kind.orderbookDepth?.rawValue ?? configuration.snapshotLevels
                let book = try await depth(of: market, levels: levels)
                var orderbook = book.orderbook(levels: levels)
                orderbook.sequence = book.updateID
                snapshot = [(.orderbook(orderbook), Self.wallClock())]
            }
            let receivedAt = Self.wallClock()
            for (payload, time) in snapshot {
                events.append(
                    MarketEvent(
                        exchange: exchange, kind: kind, market: market, stream: .snapshot, timestamp: time,
                        receivedAt: receivedAt, generation: .none, payload: payload))
            }
        }
        return events
    }

    private static func wallClock() -> UnixTime {
        UnixTime(nanoseconds: Int64(Date().timeIntervalSince1970 * 1_000_000_000))
    }
}
