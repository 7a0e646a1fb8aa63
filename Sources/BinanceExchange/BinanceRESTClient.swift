import AsyncHTTPClient
import BinanceWire
import MarketStreamCore
import NIOCore
import NIOHTTP1

/// The REST calls the Binance module makes: the depth snapshot its local books start from
/// (`GET /api/v3/depth`, weight 10 at `limit=1000` of Binance's 6 000 per minute), and the
/// ticker, recent trades and candles for snapshots (`GET /api/v3/ticker/24hr`,
/// `GET /api/v3/trades`, `GET /api/v3/klines`).
struct BinanceRESTClient: Sendable {
    let baseURL: String
    let exchange: ExchangeID
    let httpClient: HTTPClient

    /// The book of `market` with its `lastUpdateId`.
    /// - Throws: ``MarketStreamError``: `.rateLimited` for 429 and 418, `.exchangeError` for
    ///   another status, `.malformedFrame` for a body that is not a depth snapshot.
    func depth(of market: MarketCode, limit: Int) async throws -> SequencedOrderbook {
        let bytes = try await get("/api/v3/depth", market: market, query: "&limit=\(limit)")
        return try bytes.withUnsafeBufferPointer { buffer throws(MarketStreamError) in
            try Self.decodeDepth(buffer, exchange: exchange)
        }
    }

    /// `market`'s rolling 24-hour ticker, with the best bid and ask.
    /// - Throws: ``MarketStreamError`` as ``depth(of:limit:)``.
    func ticker(of market: MarketCode) async throws -> (MarketPayload, UnixTime) {
        let bytes = try await get("/api/v3/ticker/24hr", market: market)
        return try bytes.withUnsafeBufferPointer { buffer throws(MarketStreamError) in
            var scanner = JSONScanner(buffer)
            do {
                return try BinanceFrameDecoder.restTicker(&scanner)
            } catch {
                throw MarketStreamError(.malformedFrame, "a 24-hour ticker: \(error)", exchange: exchange)
            }
        }
    }

    /// `market`'s latest `limit` trades, oldest first.
    /// - Throws: ``MarketStreamError`` as ``depth(of:limit:)``.
    func trades(of market: MarketCode, limit: Int) async throws -> [(MarketPayload, UnixTime)] {
        let bytes = try await get("/api/v3/trades", market: market, query: "&limit=\(limit)")
        return try bytes.withUnsafeBufferPointer { buffer throws(MarketStreamError) in
            var scanner = JSONScanner(buffer)
            var trades: [(MarketPayload, UnixTime)] = []
            do {
                try scanner.expect(UInt8(ascii: "["))
                if try scanner.consume(UInt8(ascii: "]")) { return [] }
                repeat {
                    trades.append(try BinanceFrameDecoder.restTrade(&scanner))
                } while try scanner.consume(UInt8(ascii: ","))
                try scanner.expect(UInt8(ascii: "]"))
            } catch {
                throw MarketStreamError(.malformedFrame, "a list of trades: \(error)", exchange: exchange)
            }
            return trades
        }
    }

    /// `market`'s latest `limit` candles of `interval`, oldest first (the last one still open).
    /// - Throws: ``MarketStreamError`` as ``depth(of:limit:)``.
    func klines(of market: MarketCode, interval: CandleInterval, limit: Int) async throws -> [Candle] {
        let name = BinanceStream.klineName(interval) ?? interval.rawValue
        let bytes = try await get("/api/v3/klines", market: market, query: "&interval=\(name)&limit=\(limit)")
        return try bytes.withUnsafeBufferPointer { buffer throws(MarketStreamError) in
            var scanner = JSONScanner(buffer)
            do {
                return try BinanceFrameDecoder.restKlines(&scanner)
            } catch {
                throw MarketStreamError(.malformedFrame, "a list of klines: \(error)", exchange: exchange)
            }
        }
    }

    /// The body of `GET path?symbol=…query`.
    private func get(_ path: String, market: MarketCode, query: String = "") async throws -> [UInt8] {
        let request = HTTPClientRequest(
            url: "\(baseURL)\(path)?symbol=\(BinanceSymbol.symbol(for: market))\(query)")
        let response = try await httpClient.execute(request, timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 8 << 20)
        guard response.status == .ok else {
            let code: MarketStreamError.Code =
                [.tooManyRequests, HTTPResponseStatus(statusCode: 418)].contains(response.status)
                ? .rateLimited : .exchangeError
            throw MarketStreamError(
                code, "GET \(path) answered \(response.status.code): \(String(buffer: body).prefix(200))",
                exchange: exchange)
        }
        return Array(body.readableBytesView)
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
