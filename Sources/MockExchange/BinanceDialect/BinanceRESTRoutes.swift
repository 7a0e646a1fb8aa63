import BinanceWire
import Hummingbird
import MarketStreamCore

extension MockExchangeCore {
    /// Binance's REST endpoints the Binance module uses, under `/binance`: `GET /api/v3/depth`
    /// (`symbol`, `limit` 1–5 000, default 100), the book its `@depth@100ms` changes follow on
    /// from; `GET /api/v3/ticker/24hr` (`symbol`) and `GET /api/v3/trades` (`symbol`, `limit`
    /// 1–1 000, default 500) and `GET /api/v3/klines` (`symbol`, `interval`, `limit` 1–1 000,
    /// default 500), for snapshots. Errors in Binance's shape:
    /// `{"code":-1121,"msg":"Invalid symbol."}` with status 400.
    func addBinanceRoutes(to router: some RouterMethods<BasicRequestContext>) {
        router.get("/api/v3/ticker/24hr") { request, _ in
            self.metrics.restCall(group: "binance", status: 200)
            let now = Self.wallMilliseconds()
            guard let market = Self.binanceMarket(request), let quotation = self.binanceQuotation(of: market, at: now)
            else { return Self.invalidBinanceSymbol }
            return RESTResponses.json(
                BinanceRESTEncoder.ticker24h(quotation.ticker, market: market, top: quotation.top, closeTime: now))
        }
        router.get("/api/v3/trades") { request, _ in
            self.metrics.restCall(group: "binance", status: 200)
            guard let market = Self.binanceMarket(request),
                let quotation = self.binanceQuotation(of: market, at: Self.wallMilliseconds())
            else { return Self.invalidBinanceSymbol }
            guard let limit = Self.binanceLimit(request, default: 500, maximum: 1_000) else {
                return Self.illegalBinanceLimit
            }
            return RESTResponses.json(BinanceRESTEncoder.trades(quotation.trades.suffix(limit)))
        }
        router.get("/api/v3/klines") { request, _ in
            self.metrics.restCall(group: "binance", status: 200)
            let name = request.uri.queryParameters["interval"].map(String.init)
            guard let interval = CandleInterval.allCases.first(where: { BinanceStream.klineName($0) == name }) else {
                return RESTResponses.json(Array(#"{"code":-1120,"msg":"Invalid interval."}"#.utf8), status: .badRequest)
            }
            guard let market = Self.binanceMarket(request),
                let candles = self.binanceCandles(of: market, interval: interval)
            else { return Self.invalidBinanceSymbol }
            guard let limit = Self.binanceLimit(request, default: 500, maximum: 1_000) else {
                return Self.illegalBinanceLimit
            }
            return RESTResponses.json(BinanceRESTEncoder.klines(candles.suffix(limit), interval: interval))
        }
        router.get("/api/v3/depth") { request, _ in
            self.metrics.restCall(group: "binance", status: 200)
            guard let market = Self.binanceMarket(request), let depth = self.binanceDepth(of: market) else {
                return Self.invalidBinanceSymbol
            }
            guard let limit = Self.binanceLimit(request, default: 100, maximum: 5_000) else {
                return Self.illegalBinanceLimit
            }
            return RESTResponses.json(
                BinanceEventEncoder.depthSnapshot(depth.book, updateID: depth.updateID, limit: limit))
        }
    }

    /// The market a request's upper-case `symbol` names.
    private static func binanceMarket(_ request: Request) -> MarketCode? {
        guard let symbol = request.uri.queryParameters["symbol"].map(String.init), symbol == symbol.uppercased()
        else { return nil }
        return BinanceSymbol.market(fromSymbol: symbol)
    }

    /// A request's `limit`, `fallback` when absent; `nil` when it is not 1…`maximum`.
    private static func binanceLimit(_ request: Request, default fallback: Int, maximum: Int) -> Int? {
        let limit = request.uri.queryParameters["limit"].map { Int(String($0)) } ?? fallback
        guard let limit, (1...maximum).contains(limit) else { return nil }
        return limit
    }

    private static var illegalBinanceLimit: Response {
        RESTResponses.json(
            Array(#"{"code":-1100,"msg":"Illegal characters found in parameter 'limit'."}"#.utf8), status: .badRequest)
    }

    private static var invalidBinanceSymbol: Response {
        RESTResponses.json(Array(#"{"code":-1121,"msg":"Invalid symbol."}"#.utf8), status: .badRequest)
    }
}
