import Foundation
import Hummingbird
import MarketStreamCore
import NIOCore
import Synchronization
import UpbitWire

extension MockExchangeCore {
    /// The REST API: Upbit's quotation endpoints and the paper-trading exchange endpoints, at the
    /// root and again under `/bithumb` (Bithumb's API 2.0 has Upbit's paths and shapes), so a client
    /// whose WebSocket base is `…/bithumb` finds its REST base there too; and Binance's depth
    /// snapshot under `/binance`.
    func makeRouter() -> Router<BasicRequestContext> {
        let router = Router()
        addRoutes(to: router)
        addRoutes(to: router.group("bithumb"))
        addBinanceRoutes(to: router.group("binance"))
        return router
    }

    private func addRoutes(to router: some RouterMethods<BasicRequestContext>) {
        router.get("/v1/market/all") { request, _ in
            try self.quotation(request, group: "market") { simulator, _ in
                var w = JSONWriter()
                w.beginArray()
                for market in simulator.markets {
                    w.beginObject()
                    w.key("market"); w.string(market.code.rawValue)
                    w.key("korean_name"); w.string(String(market.code.base))
                    w.key("english_name"); w.string(String(market.code.base))
                    if request.uri.queryParameters["is_details"] == "true" {
                        w.key("market_event")
                        w.beginObject()
                        w.key("warning"); w.bool(false)
                        w.endObject()
                    }
                    w.endObject()
                }
                w.endArray()
                return w.bytes
            }
        }
        router.get("/v1/ticker") { request, _ in
            try self.quotation(request, group: "ticker") { simulator, now in
                let markets = try Self.markets(request.uri.queryParameters["markets"], in: simulator)
                var w = JSONWriter()
                w.beginArray()
                for code in markets {
                    let market = simulator.market(code)!
                    RESTResponses.ticker(simulator.ticker(of: market, at: now), market: code, timestamp: now, into: &w)
                }
                w.endArray()
                return w.bytes
            }
        }
        router.get("/v1/orderbook") { request, _ in
            try self.quotation(request, group: "orderbook") { simulator, now in
                let markets = try Self.markets(request.uri.queryParameters["markets"], in: simulator)
                let count = request.uri.queryParameters["count"].flatMap { Int(String($0)) } ?? 30
                guard (1...30).contains(count) else { throw RESTFailure.badRequest("count 는 1 이상 30 이하여야 합니다.") }
                var w = JSONWriter()
                w.beginArray()
                for code in markets {
                    let book = simulator.orderbook(of: simulator.market(code)!, depth: count)
                    RESTResponses.orderbook(book, market: code, timestamp: now, into: &w)
                }
                w.endArray()
                return w.bytes
            }
        }
        router.get("/v1/trades/ticks") { request, _ in
            try self.quotation(request, group: "trade") { simulator, _ in
                let code = try Self.markets(request.uri.queryParameters["market"], in: simulator)[0]
                let count = request.uri.queryParameters["count"].flatMap { Int(String($0)) } ?? 1
                guard (1...500).contains(count) else { throw RESTFailure.badRequest("count 는 1 이상 500 이하여야 합니다.") }
                var w = JSONWriter()
                w.beginArray()
                for normalised in simulator.market(code)!.recentTrades.suffix(count).reversed() {
                    let trade = UpbitTrade(normalised)
                    let utc = CivilTime(milliseconds: trade.tradeTimestamp.milliseconds)
                    w.beginObject()
                    w.key("market"); w.string(code.rawValue)
                    w.key("trade_date_utc"); w.string(utc.dashedDate)
                    w.key("trade_time_utc"); w.string(utc.colonTime)
                    w.key("timestamp"); w.integer(trade.tradeTimestamp.milliseconds)
                    w.key("trade_price"); w.number(trade.tradePrice)
                    w.key("trade_volume"); w.number(trade.tradeVolume)
                    w.key("prev_closing_price"); w.number(trade.prevClosingPrice)
                    w.key("change_price"); w.number(trade.changePrice)
                    w.key("ask_bid"); w.string(trade.side.rawValue)
                    w.key("sequential_id"); w.integer(trade.sequentialID)
                    w.endObject()
                }
                w.endArray()
                return w.bytes
            }
        }
        router.get("/v1/candles/minutes/:unit") { request, context in
            try self.quotation(request, group: "candle") { simulator, now in
                guard let unit = context.parameters.get("unit").flatMap(Int.init),
                    let interval = CandleInterval(rawValue: "\(unit)m"), interval != .oneSecond
                else { throw RESTFailure.badRequest("지원하지 않는 unit 입니다.") }
                let code = try Self.markets(request.uri.queryParameters["market"], in: simulator)[0]
                let count = request.uri.queryParameters["count"].flatMap { Int(String($0)) } ?? 1
                guard (1...200).contains(count) else { throw RESTFailure.badRequest("count 는 1 이상 200 이하여야 합니다.") }
                let market = simulator.market(code)!
                let candles = ((market.candleHistory[interval] ?? []) + [market.candle(interval)].compactMap { $0 })
                var w = JSONWriter()
                w.beginArray()
                for normalised in candles.suffix(count).reversed() {
                    let candle = UpbitCandle(normalised)
                    w.beginObject()
                    w.key("market"); w.string(code.rawValue)
                    w.key("candle_date_time_utc"); w.string(candle.startUTC)
                    w.key("candle_date_time_kst"); w.string(candle.startKST)
                    w.key("opening_price"); w.number(candle.openingPrice)
                    w.key("high_price"); w.number(candle.highPrice)
                    w.key("low_price"); w.number(candle.lowPrice)
                    w.key("trade_price"); w.number(candle.tradePrice)
                    w.key("timestamp"); w.integer(now)
                    w.key("candle_acc_trade_price"); w.number(candle.accTradePrice)
                    w.key("candle_acc_trade_volume"); w.number(candle.accTradeVolume)
                    w.key("unit"); w.integer(Int64(unit))
                    w.endObject()
                }
                w.endArray()
                return w.bytes
            }
        }
        router.get("/v1/accounts") { request, _ in
            try await self.exchange(request, body: nil) { state, _ in
                var w = JSONWriter()
                w.beginArray()
                for (currency, account) in state.ledger.balances.sorted(by: { $0.key < $1.key }) {
                    w.beginObject()
                    w.key("currency"); w.string(currency)
                    w.key("balance"); w.string(account.balance.description)
                    w.key("locked"); w.string(account.locked.description)
                    w.key("avg_buy_price"); w.string(account.averageBuyPrice.description)
                    w.key("avg_buy_price_modified"); w.bool(false)
                    w.key("unit_currency"); w.string("KRW")
                    w.endObject()
                }
                w.endArray()
                return (w.bytes, [])
            }
        }
        router.get("/v1/orders/open") { request, _ in
            try await self.exchange(request, body: nil) { state, _ in
                let market = request.uri.queryParameters["market"].map(String.init)
                var w = JSONWriter()
                w.beginArray()
                for order in state.ledger.openOrders where market == nil || order.market.rawValue == market {
                    RESTResponses.order(order, includeTrades: false, into: &w)
                }
                w.endArray()
                return (w.bytes, [])
            }
        }
        router.get("/v1/orders/closed") { request, _ in
            try await self.exchange(request, body: nil) { state, _ in
                let market = request.uri.queryParameters["market"].map(String.init)
                let limit = request.uri.queryParameters["limit"].flatMap { Int(String($0)) } ?? 100
                guard (1...1_000).contains(limit) else { throw RESTFailure.badRequest("limit 은 1 이상 1000 이하여야 합니다.") }
                let ascending = request.uri.queryParameters["order_by"] == "asc"
                var orders = state.ledger.closedOrders.filter { market == nil || $0.market.rawValue == market }
                if ascending { orders.reverse() }
                var w = JSONWriter()
                w.beginArray()
                for order in orders.prefix(limit) { RESTResponses.order(order, includeTrades: false, into: &w) }
                w.endArray()
                return (w.bytes, [])
            }
        }
        router.get("/v1/order") { request, _ in
            try await self.exchange(request, body: nil) { state, _ in
                guard let order = Self.findOrder(request, in: state.ledger) else {
                    throw RESTFailure.notFound("order_not_found", "주문을 찾지 못했습니다.")
                }
                var w = JSONWriter()
                RESTResponses.order(order, includeTrades: true, into: &w)
                return (w.bytes, [])
            }
        }
        router.delete("/v1/order") { request, _ in
            try await self.exchange(request, body: nil) { state, now in
                guard let uuid = Self.findOrder(request, in: state.ledger)?.uuid else {
                    throw RESTFailure.notFound("order_not_found", "주문을 찾지 못했습니다.")
                }
                do {
                    let (order, events) = try state.ledger.cancel(uuid: uuid, at: now)
                    var w = JSONWriter()
                    RESTResponses.order(order, includeTrades: false, into: &w)
                    return (w.bytes, events)
                } catch let error as LedgerError {
                    throw RESTFailure.notFound(error.name, error.message)
                }
            }
        }
        router.post("/v1/orders") { request, _ in
            var request = request
            let body = try await request.collectBody(upTo: 1 << 16)
            return try await self.exchange(request, body: String(buffer: body)) { state, now in
                let fields = try Self.orderedFields(String(buffer: body))
                let value = { (key: String) in fields.first { $0.key == key }?.value }
                guard let marketText = value("market"), let market = try? MarketCode(marketText),
                    let side = value("side").flatMap({ $0 == "bid" ? TradeSide.bid : $0 == "ask" ? .ask : nil }),
                    let orderType = value("ord_type")
                else { throw RESTFailure.badRequest("market, side, ord_type 이 필요합니다.") }
                do {
                    let (order, fills, events) = try state.ledger.place(
                        market: market, side: side, orderType: orderType,
                        price: value("price").flatMap(ExactDecimal.init),
                        volume: value("volume").flatMap(ExactDecimal.init), identifier: value("identifier"),
                        simulator: state.simulator, at: now)
                    var publicEvents: [MarketEvent] = []
                    for fill in fills {
                        if let trade = fill.publicTrade {
                            publicEvents += state.simulator.recordFill(
                                market: trade.market, price: trade.price, volume: trade.volume, side: trade.side,
                                at: now)
                        }
                    }
                    var w = JSONWriter()
                    RESTResponses.order(state.ledger.orders[order.uuid] ?? order, includeTrades: false, into: &w)
                    return (w.bytes, events + fills.flatMap(\.privateEvents) + publicEvents)
                } catch let error as LedgerError {
                    throw RESTFailure.badRequest(error.message, name: error.name)
                }
            }
        }
    }

    // MARK: - Request handling

    /// A quotation endpoint: rate-limited per second in its group, no authentication.
    private func quotation(
        _ request: Request, group: String, _ body: (MarketSimulator, Int64) throws -> [UInt8]
    ) throws -> Response {
        let now = Self.wallMilliseconds()
        let (admission, remaining) = admit(group: group, limit: configuration.restQuotationPerSecond)
        metrics.restCall(group: group, status: admission.status)
        if let refusal = admission.refusal(remaining: remaining) { return refusal }
        do {
            let bytes = try state.withLock { try body($0.simulator, now) }
            return RESTResponses.json(bytes, remaining: remaining)
        } catch let failure as RESTFailure {
            return failure.response(remaining: remaining)
        }
    }

    /// An exchange endpoint: JWT with `query_hash` verified, rate-limited, account events published.
    private func exchange(
        _ request: Request, body: String?, _ handler: (inout State, Int64) throws -> ([UInt8], [MarketEvent])
    ) async throws -> Response {
        let (admission, remaining) = admit(group: "default", limit: configuration.restExchangePerSecond)
        metrics.restCall(group: "default", status: admission.status)
        if let refusal = admission.refusal(remaining: remaining) { return refusal }
        let claims: JWTVerifier.Claims
        do {
            claims = try JWTVerifier.verify(
                authorization: request.headers[.authorization], credentials: configuration.credentials)
        } catch {
            return RESTResponses.error(.unauthorized, name: error.name, message: error.message, remaining: remaining)
        }
        let query: String?
        if let body {
            query = try? Self.orderedFields(body).map { "\($0.key)=\($0.value)" }.joined(separator: "&")
        } else {
            query = request.uri.query?.removingPercentEncoding
        }
        if let query, !query.isEmpty {
            guard let hash = claims.queryHash, hash == JWTVerifier.queryHash(query),
                (claims.queryHashAlgorithm ?? "SHA512") == "SHA512"
            else {
                return RESTResponses.error(
                    .unauthorized, name: "invalid_query_payload", message: "query_hash 가 일치하지 않습니다.",
                    remaining: remaining)
            }
        }
        guard useNonce(claims.nonce) else {
            return RESTResponses.error(
                .unauthorized, name: "nonce_used", message: "이미 사용된 nonce 입니다.", remaining: remaining)
        }
        let now = Self.wallMilliseconds()
        do {
            let (bytes, events) = try state.withLock { try handler(&$0, now) }
            publish(events)
            return RESTResponses.json(bytes, status: request.method == .post ? .created : .ok, remaining: remaining)
        } catch let failure as RESTFailure {
            return failure.response(remaining: remaining)
        }
    }

    /// Records a nonce; `false` when it was used before.
    func useNonce(_ nonce: String) -> Bool {
        state.withLock { $0.usedNonces.insert(nonce).inserted }
    }

    /// Counts a call against its group: admitted, refused (429), or blocked (418) after too
    /// many refusals in one second.
    private func admit(group: String, limit: Int) -> (RESTAdmission, String) {
        let now = elapsed()
        let second = Self.wallMilliseconds() / 1_000
        return state.withLock { state in
            var limiter =
                state.restLimiters[group] ?? SlidingWindowRateLimiter(limits: [RateLimit(limit, per: .seconds(1))])
            defer { state.restLimiters[group] = limiter }
            let left = {
                "group=\(group); min=1800; sec=\(max(0, limit - limiter.count(within: .seconds(1), at: now)))"
            }
            if let until = state.restBlockedUntil[group], until > now {
                return (.blocked(retryAfter: until - now), left())
            }
            guard limiter.earliestPermitted(at: now) <= now else {
                var violations = state.restViolations[group] ?? (second, 0)
                if violations.second != second { violations = (second, 0) }
                violations.count += 1
                state.restViolations[group] = violations
                if let threshold = configuration.restBlockAfterViolations, violations.count > threshold {
                    state.restBlockedUntil[group] = now + configuration.restBlockDuration
                    return (.blocked(retryAfter: configuration.restBlockDuration), left())
                }
                return (.refused, left())
            }
            limiter.record(at: now)
            return (.admitted, left())
        }
    }

    private static func markets(_ parameter: Substring?, in simulator: MarketSimulator) throws -> [MarketCode] {
        guard let parameter, !parameter.isEmpty else { throw RESTFailure.badRequest("markets 가 필요합니다.") }
        let codes = parameter.split(separator: ",").compactMap { try? MarketCode(String($0).uppercased()) }
        guard !codes.isEmpty, codes.allSatisfy(simulator.contains) else {
            throw RESTFailure.notFound("404", "Code not found")
        }
        return codes
    }

    private static func findOrder(_ request: Request, in ledger: PaperLedger) -> PaperLedger.Order? {
        if let uuid = request.uri.queryParameters["uuid"] { return ledger.orders[String(uuid)] }
        if let identifier = request.uri.queryParameters["identifier"] {
            return ledger.orders.values.first { $0.identifier == String(identifier) }
        }
        return nil
    }

    /// The key/value pairs of a flat JSON object, in the order they appear in the text.
    static func orderedFields(_ json: String) throws -> [(key: String, value: String)] {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(json.utf8))) as? [String: Any] else {
            throw RESTFailure.badRequest("요청 본문이 올바른 JSON 이 아닙니다.")
        }
        let ordered = object.keys.sorted { a, b in
            (json.range(of: "\"\(a)\"")?.lowerBound ?? json.endIndex)
                < (json.range(of: "\"\(b)\"")?.lowerBound ?? json.endIndex)
        }
        return ordered.map { key in
            let value = object[key]
            if let string = value as? String { return (key, string) }
            if let number = value as? NSNumber { return (key, number.stringValue) }
            return (key, "\(value ?? "")")
        }
    }
}

/// Whether a REST call may be served.
enum RESTAdmission {
    case admitted
    /// 429: over the group's per-second limit.
    case refused
    /// 418: blocked for continuing after 429s.
    case blocked(retryAfter: Duration)

    /// The status the call is answered with when refused (200 when admitted).
    var status: Int {
        switch self {
        case .admitted: 200
        case .refused: 429
        case .blocked: 418
        }
    }

    func refusal(remaining: String) -> Response? {
        switch self {
        case .admitted:
            return nil
        case .refused:
            return RESTResponses.error(
                .tooManyRequests, name: "too_many_requests", message: "요청 수 제한을 초과했습니다.", remaining: remaining)
        case .blocked(let retryAfter):
            var response = RESTResponses.error(
                HTTPResponse.Status(code: 418, reasonPhrase: "I'm a teapot"), name: "418",
                message: "요청 수 제한 초과가 계속되어 \(retryAfter.components.seconds + 1)초 동안 차단되었습니다.",
                remaining: remaining)
            response.headers[.retryAfter] = String(retryAfter.components.seconds + 1)
            return response
        }
    }
}

/// A REST failure with Upbit's error body.
struct RESTFailure: Error {
    var status: HTTPResponse.Status
    var name: String
    var message: String

    static func badRequest(_ message: String, name: String = "invalid_parameter") -> RESTFailure {
        RESTFailure(status: .badRequest, name: name, message: message)
    }

    static func notFound(_ name: String, _ message: String) -> RESTFailure {
        RESTFailure(status: .notFound, name: name, message: message)
    }

    func response(remaining: String) -> Response {
        RESTResponses.error(status, name: name, message: message, remaining: remaining)
    }
}
