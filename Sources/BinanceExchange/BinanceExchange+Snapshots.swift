import Foundation
import MarketStreamCore

extension BinanceExchange: RESTSnapshotProvider {
    /// Books from REST (`GET /api/v3/depth`, one call per market): Binance answers no snapshot
    /// request on the socket, so `router.snapshot(of: .orderbook…)` is served this way. A depth
    /// asks Binance for that many levels, the whole book for ``Configuration/snapshotLevels``;
    /// each book carries its `lastUpdateId` as ``Orderbook/sequence``.
    ///
    /// Other kinds have no REST snapshot in this module yet: subscribe to them instead.
    /// - Throws: ``MarketStreamError``: `.unsupportedDataKind` for a kind other than a book (or a
    ///   depth Binance does not serve), and what the REST call throws.
    public func restSnapshot(of kind: DataKind, markets: [MarketCode]) async throws -> [MarketEvent] {
        guard kind.isOrderbook else {
            throw MarketStreamError(
                .unsupportedDataKind, "Binance has no snapshot of \(kind) here: subscribe instead", exchange: exchange)
        }
        let probe = SubscriptionTopic(exchange: exchange, kind: kind, market: markets.first ?? .account)
        if let channel = channels.first, let refusal = validate(probe, on: channel) { throw refusal }
        let levels = kind.orderbookDepth?.rawValue ?? configuration.snapshotLevels
        var events: [MarketEvent] = []
        events.reserveCapacity(markets.count)
        for market in markets {
            let book = try await depth(of: market, levels: levels)
            var orderbook = book.orderbook(levels: levels)
            orderbook.sequence = book.updateID
            let now = UnixTime(nanoseconds: Int64(Date().timeIntervalSince1970 * 1_000_000_000))
            events.append(
                MarketEvent(
                    exchange: exchange, kind: kind, market: market, stream: .snapshot, timestamp: now, receivedAt: now,
                    generation: .none, payload: .orderbook(orderbook)))
        }
        return events
    }
}
