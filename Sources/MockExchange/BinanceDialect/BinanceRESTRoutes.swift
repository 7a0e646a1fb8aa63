import BinanceWire
import Hummingbird
import MarketStreamCore

extension MockExchangeCore {
    /// Binance's REST endpoint the Binance module uses, under `/binance`: `GET /api/v3/depth`
    /// (`symbol`, `limit` 1–5 000, default 100), the book its `@depth@100ms` changes follow on from.
    /// Errors in Binance's shape: `{"code":-1121,"msg":"Invalid symbol."}` with status 400.
    func addBinanceRoutes(to router: some RouterMethods<BasicRequestContext>) {
        router.get("/api/v3/depth") { request, _ in
            self.metrics.restCall(group: "binance", status: 200)
            let parameters = request.uri.queryParameters
            guard let symbol = parameters["symbol"].map(String.init),
                let market = BinanceSymbol.market(fromSymbol: symbol),
                symbol == symbol.uppercased(), let depth = self.binanceDepth(of: market)
            else {
                return RESTResponses.json(Array(#"{"code":-1121,"msg":"Invalid symbol."}"#.utf8), status: .badRequest)
            }
            let limit = parameters["limit"].map { Int(String($0)) } ?? 100
            guard let limit, (1...5_000).contains(limit) else {
                return RESTResponses.json(
                    Array(#"{"code":-1100,"msg":"Illegal characters found in parameter 'limit'."}"#.utf8),
                    status: .badRequest)
            }
            return RESTResponses.json(
                BinanceEventEncoder.depthSnapshot(depth.book, updateID: depth.updateID, limit: limit))
        }
    }
}
