import MarketStreamCore
import Testing
import UpbitWire

@testable import UpbitExchange

@Suite struct RESTDecoderTests {
    let decoder = UpbitRESTDecoder(exchange: "upbit")
    let at = UnixTime(milliseconds: 5)

    func json(_ text: String) throws -> RESTJSON { try RESTJSON.parse(Array(text.utf8)) }

    @Test func tickersBecomeSnapshotEventsWithExactDecimals() throws {
        let body = try json(
            #"[{"market":"KRW-BTC","trade_price":116000000.5,"change":"RISE","acc_trade_volume_24h":"12.00000001","trade_timestamp":1700000000000}]"#
        )
        let events = try decoder.list(body, endpoint: "GET /v1/ticker") { item throws(RESTJSON.Malformed) in
            try decoder.ticker(item, receivedAt: at)
        }
        #expect(events.count == 1)
        let event = try #require(events.first)
        let btc = try MarketCode("KRW-BTC")
        #expect(event.stream == .snapshot && event.market == btc && event.receivedAt == at)
        #expect(event.timestamp == UnixTime(milliseconds: 1_700_000_000_000))
        guard case .ticker(let ticker) = event.payload else { Issue.record("not a ticker"); return }
        #expect(ticker.price == ExactDecimal("116000000.5"))
        #expect(ticker.volume24h == ExactDecimal("12.00000001"))
        #expect(ticker.native(as: UpbitTicker.self)?.change == .rise)
    }

    @Test(arguments: [
        (#"{"market":"KRW-BTC"}"#, "expected a JSON array"),
        (#"[{"market":"KRW-BTC"}]"#, "an element lacks required fields"),
        (#"[{"market":"BTC","trade_price":1}]"#, "an element lacks required fields"),
    ])
    func malformedBodiesAreTypedErrorsNamingTheEndpoint(body: String, message: String) throws {
        let parsed = try json(body)
        #expect {
            _ = try decoder.list(parsed, endpoint: "GET /v1/ticker") { item throws(RESTJSON.Malformed) in
                try decoder.ticker(item, receivedAt: at)
            }
        } throws: { error in
            let error = error as? UpbitRESTError
            return error?.reason == .malformedResponse && error?.endpoint == "GET /v1/ticker"
                && error?.message == message
        }
    }

    @Test func orderBookLevelsNeedAllFourNumbers() throws {
        let good = try json(
            #"[{"market":"KRW-ETH","orderbook_units":[{"ask_price":"2","bid_price":"1","ask_size":"0.5","bid_size":"0.25"}]}]"#
        )
        let events = try decoder.list(good, endpoint: "GET /v1/orderbook") { item throws(RESTJSON.Malformed) in
            try decoder.orderbook(item, receivedAt: at)
        }
        guard case .orderbook(let book) = events.first?.payload else { Issue.record("not a book"); return }
        #expect(book.units.first?.askSize == ExactDecimal("0.5"))
        let bad = try json(#"[{"market":"KRW-ETH","orderbook_units":[{"ask_price":"2"}]}]"#)
        #expect(throws: UpbitRESTError.self) {
            _ = try decoder.list(bad, endpoint: "GET /v1/orderbook") { item throws(RESTJSON.Malformed) in
                try decoder.orderbook(item, receivedAt: at)
            }
        }
    }

    @Test func errorStatusesAreToldApart() throws {
        let body = try json(#"{"error":{"name":"jwt_verification","message":"bad token"}}"#)
        let rejected = decoder.failure(
            status: 401, body: body, retryAfter: nil, group: .default, endpoint: "GET /v1/accounts")
        #expect(rejected.reason == .rejected(status: 401, name: "jwt_verification") && rejected.message == "bad token")
        let limited = decoder.failure(
            status: 429, body: nil, retryAfter: nil, group: .ticker, endpoint: "GET /v1/ticker")
        #expect(limited.reason == .rateLimited(.ticker) && limited.message == "HTTP 429")
        let blocked = decoder.failure(
            status: 418, body: nil, retryAfter: .seconds(30), group: .order, endpoint: "POST /v1/orders")
        #expect(blocked.reason == .blocked(.order, retryAfter: .seconds(30)))
        let unknown = decoder.failure(
            status: 502, body: nil, retryAfter: nil, group: .default, endpoint: "GET /v1/order")
        #expect(unknown.reason == .rejected(status: 502, name: "502"))
    }
}
