import AsyncHTTPClient
import BinanceWire
import MarketStreamCore
import NIOCore
import NIOHTTP1

/// The REST calls the Binance module makes: the depth snapshot its local books start from
/// (`GET /api/v3/depth`, weight 10 at `limit=1000` of Binance's 6 000 per minute).
struct BinanceRESTClient: Sendable {
    let baseURL: String
    let exchange: ExchangeID
    let httpClient: HTTPClient

    /// The book of `market` with its `lastUpdateId`.
    /// - Throws: ``MarketStreamError``: `.rateLimited` for 429 and 418, `.exchangeError` for
    ///   another status, `.malformedFrame` for a body that is not a depth snapshot.
    func depth(of market: MarketCode, limit: Int) async throws -> SequencedOrderbook {
        let request = HTTPClientRequest(
            url: "\(baseURL)/api/v3/depth?symbol=\(BinanceSymbol.symbol(for: market))&limit=\(limit)")
        let response = try await httpClient.execute(request, timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 8 << 20)
        guard response.status == .ok else {
            let code: MarketStreamError.Code =
                [.tooManyRequests, HTTPResponseStatus(statusCode: 418)].contains(response.status)
                ? .rateLimited : .exchangeError
            throw MarketStreamError(
                code, "GET /api/v3/depth answered \(response.status.code): \(String(buffer: body).prefix(200))",
                exchange: exchange)
        }
        let bytes = Array(body.readableBytesView)
        return try bytes.withUnsafeBufferPointer { buffer throws(MarketStreamError) in
            try Self.decodeDepth(buffer, exchange: exchange)
        }
    }

    /// Reads `{"lastUpdateId":…,"bids":[["price","size"],…],"asks":[…]}`.
    static func decodeDepth(_ bytes: UnsafeBufferPointer<UInt8>, exchange: ExchangeID) throws(MarketStreamError)
        -> SequencedOrderbook
    {
        var scanner = JSONScanner(bytes)
        guard let book = try? BinanceFrameDecoder.bookFields(&scanner), let updateID = book.updateID,
            let bids = book.bids, let asks = book.asks
        else {
            throw MarketStreamError(
                .malformedFrame, "a depth snapshot without lastUpdateId, bids and asks", exchange: exchange)
        }
        return SequencedOrderbook(updateID: updateID, bids: bids, asks: asks)
    }
}
