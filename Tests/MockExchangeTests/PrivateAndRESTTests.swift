import Foundation
import HTTPTypes
import MarketStreamCore
import MockExchange
import NIOHTTP1
import Testing

@Suite(.timeLimit(.minutes(1))) struct PrivateAndRESTTests {
    static func privateRequest() -> String {
        #"[{"ticket":"p-1"},{"type":"myOrder"},{"type":"myAsset"},{"format":"DEFAULT"}]"#
    }

    static func authorization(_ token: String) -> HTTPHeaders {
        ["Authorization": "Bearer \(token)"]
    }

    @Test(arguments: ["HS256", "HS512"])
    func aValidTokenOpensThePrivateChannel(algorithm: String) async throws {
        try await withMockExchange { _, endpoint in
            let headers = Self.authorization(TestJWT.token(algorithm: algorithm))
            try await withSocket(endpoint.webSocketBase + "/websocket/v1/private", headers: headers) { socket in
                var frames = socket.frames.makeAsyncIterator()
                try await socket.send(Self.privateRequest())
                try await socket.send(#"[{"ticket":"p-1"},{"method":"LIST_SUBSCRIPTIONS"}]"#)
                let list = await frames.next { $0["method"] != nil }
                let types = (list?["result"] as? [[String: Any]])?.compactMap { $0["type"] as? String }.sorted()
                #expect(types == ["myAsset", "myOrder"])
            }
        }
    }

    @Test func wrongKeysAndReusedNoncesGetInvalidAuth() async throws {
        try await withMockExchange { _, endpoint in
            let wrong = MockCredentials(accessKey: testCredentials.accessKey, secretKey: "not-the-secret")
            let nonce = UUID().uuidString
            let cases: [HTTPHeaders] = [
                [:],
                Self.authorization(TestJWT.token(wrong)),
                Self.authorization(TestJWT.token(MockCredentials(accessKey: "unknown", secretKey: "x"))),
                Self.authorization(TestJWT.token(nonce: nonce)),
                Self.authorization(TestJWT.token(nonce: nonce)),  // the same nonce again
            ]
            var accepted: [Bool] = []
            for headers in cases {
                let result = MutexBox<Bool?>(nil)
                try await withSocket(endpoint.webSocketBase + "/websocket/v1/private", headers: headers) { socket in
                    var frames = socket.frames.makeAsyncIterator()
                    try await socket.send(Self.privateRequest())
                    try await socket.send(#"[{"ticket":"p-1"},{"method":"LIST_SUBSCRIPTIONS"}]"#)
                    let first = await frames.next { _ in true }
                    let name = (first?["error"] as? [String: Any])?["name"] as? String
                    result.set(name != "INVALID_AUTH")
                }
                accepted.append(result.get() ?? false)
            }
            #expect(accepted == [false, false, false, true, false])
        }
    }

    @Test func myAssetWithCodesIsWrongFormat() async throws {
        try await withMockExchange { _, endpoint in
            try await withSocket(
                endpoint.webSocketBase + "/websocket/v1/private", headers: Self.authorization(TestJWT.token())
            ) { socket in
                var frames = socket.frames.makeAsyncIterator()
                try await socket.send(#"[{"ticket":"p"},{"type":"myAsset","codes":["KRW-BTC"]}]"#)
                let error = await frames.next { _ in true }
                #expect((error?["error"] as? [String: Any])?["name"] as? String == "WRONG_FORMAT")
            }
        }
    }

    @Test func quotationEndpointsAnswerInUpbitShapes() async throws {
        try await withMockExchange { _, endpoint in
            let base = endpoint.restBase
            let markets = try await rest(.GET, base + "/v1/market/all")
            #expect(markets.status == 200)
            #expect((markets.json as? [[String: Any]])?.first?["market"] as? String == "KRW-BTC")
            let ticker = try await rest(.GET, base + "/v1/ticker?markets=KRW-BTC,KRW-ETH")
            #expect((ticker.json as? [[String: Any]])?.map { $0["market"] as? String } == ["KRW-BTC", "KRW-ETH"])
            // Each quotation endpoint counts in its own group, as on Upbit.
            #expect(ticker.headers["remaining-req"]?.hasPrefix("group=ticker;") == true)
            let book = try await rest(.GET, base + "/v1/orderbook?markets=KRW-BTC&count=15")
            #expect(((book.json as? [[String: Any]])?.first?["orderbook_units"] as? [Any])?.count == 15)
            let trades = try await rest(.GET, base + "/v1/trades/ticks?market=KRW-BTC&count=3")
            #expect(trades.status == 200)
            let candles = try await rest(.GET, base + "/v1/candles/minutes/1?market=KRW-BTC&count=1")
            #expect((candles.json as? [[String: Any]])?.first?["unit"] as? Int == 1)
            let missing = try await rest(.GET, base + "/v1/ticker?markets=KRW-NOPE")
            #expect(missing.status == 404)
            let badUnit = try await rest(.GET, base + "/v1/candles/minutes/2?market=KRW-BTC")
            #expect(badUnit.status == 400)
        }
    }

    @Test func quotationRequestsPastTheLimitGet429() async throws {
        var configuration = MockExchangeConfiguration()
        configuration.restQuotationPerSecond = 1
        try await withMockExchange(configuration) { _, endpoint in
            // Four at once against a budget of one per second.
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<4 { group.addTask { try await rest(.GET, endpoint.restBase + "/v1/market/all").status } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == 200 }.count >= 1)
            #expect(statuses.filter { $0 == 429 }.count >= 1)
        }
    }

    @Test func exchangeEndpointsVerifyTheTokenAndQueryHash() async throws {
        try await withMockExchange { _, endpoint in
            let base = endpoint.restBase
            #expect(try await rest(.GET, base + "/v1/accounts").status == 401)
            let accounts = try await rest(.GET, base + "/v1/accounts", token: TestJWT.token())
            #expect(accounts.status == 200)
            let krw = (accounts.json as? [[String: Any]])?.first { $0["currency"] as? String == "KRW" }
            #expect(krw?["balance"] as? String == "10000000", "exchange numbers are strings")
            let query = "market=KRW-BTC"
            let open = try await rest(.GET, base + "/v1/orders/open?" + query, token: TestJWT.token(query: query))
            #expect(open.status == 200)
            let wrongHash = try await rest(
                .GET, base + "/v1/orders/open?" + query, token: TestJWT.token(query: "market=KRW-ETH"))
            #expect(wrongHash.status == 401)
            #expect(
                ((wrongHash.json as? [String: Any])?["error"] as? [String: Any])?["name"] as? String
                    == "invalid_query_payload")
            let nonce = UUID().uuidString
            #expect(try await rest(.GET, base + "/v1/accounts", token: TestJWT.token(nonce: nonce)).status == 200)
            let reused = try await rest(.GET, base + "/v1/accounts", token: TestJWT.token(nonce: nonce))
            #expect(((reused.json as? [String: Any])?["error"] as? [String: Any])?["name"] as? String == "nonce_used")
        }
    }

    @Test func aPaperOrderFillsAndReportsOnThePrivateChannel() async throws {
        var configuration = MockExchangeConfiguration(credentials: [testCredentials])
        configuration.updatesPerSecond = 0
        try await withMockExchange(configuration) { _, endpoint in
            try await withSocket(
                endpoint.webSocketBase + "/websocket/v1/private", headers: Self.authorization(TestJWT.token())
            ) { socket in
                var frames = socket.frames.makeAsyncIterator()
                try await socket.send(Self.privateRequest())
                try await socket.send(#"[{"ticket":"p-1"},{"method":"LIST_SUBSCRIPTIONS"}]"#)
                _ = await frames.next { $0["method"] != nil }
                let base = endpoint.restBase
                let book = try await rest(.GET, base + "/v1/orderbook?markets=KRW-BTC")
                let bestAsk =
                    (((book.json as? [[String: Any]])?.first?["orderbook_units"] as? [[String: Any]])?.first?[
                        "ask_price"] as? NSNumber)?.stringValue ?? "0"
                // A marketable limit buy fills at once.
                let body =
                    #"{"market":"KRW-BTC","side":"bid","volume":"0.01","price":"\#(bestAsk)","ord_type":"limit"}"#
                let query = "market=KRW-BTC&side=bid&volume=0.01&price=\(bestAsk)&ord_type=limit"
                let placed = try await rest(.POST, base + "/v1/orders", token: TestJWT.token(query: query), body: body)
                #expect(placed.status == 201)
                let uuid = (placed.json as? [String: Any])?["uuid"] as? String
                var states: [String] = []
                var assets: [String: String] = [:]
                while states.last != "done" || assets.isEmpty, let event = await frames.next(where: { _ in true }) {
                    if event["type"] as? String == "myOrder" {
                        #expect(event["uuid"] as? String == uuid)
                        states.append(event["state"] as? String ?? "?")
                    } else if event["type"] as? String == "myAsset" {
                        for asset in event["assets"] as? [[String: Any]] ?? [] {
                            assets[asset["currency"] as? String ?? ""] = (asset["balance"] as? NSNumber)?.stringValue
                        }
                    }
                }
                #expect(states == ["wait", "trade", "done"])
                #expect(assets["BTC"] == "0.01")
                let order = try await rest(
                    .GET, base + "/v1/order?uuid=\(uuid ?? "")", token: TestJWT.token(query: "uuid=\(uuid ?? "")"))
                #expect((order.json as? [String: Any])?["state"] as? String == "done")
                #expect(((order.json as? [String: Any])?["trades"] as? [Any])?.count == 1)
            }
        }
    }

    @Test func aRestingOrderCanBeCancelled() async throws {
        var configuration = MockExchangeConfiguration(credentials: [testCredentials])
        configuration.updatesPerSecond = 0
        try await withMockExchange(configuration) { _, endpoint in
            let base = endpoint.restBase
            let body = #"{"market":"KRW-BTC","side":"bid","volume":"0.01","price":"100000000","ord_type":"limit"}"#
            let query = "market=KRW-BTC&side=bid&volume=0.01&price=100000000&ord_type=limit"
            let placed = try await rest(.POST, base + "/v1/orders", token: TestJWT.token(query: query), body: body)
            let uuid = (placed.json as? [String: Any])?["uuid"] as? String ?? ""
            #expect((placed.json as? [String: Any])?["state"] as? String == "wait")
            let open = try await rest(.GET, base + "/v1/orders/open", token: TestJWT.token())
            #expect((open.json as? [Any])?.count == 1)
            let cancelled = try await rest(
                .DELETE, base + "/v1/order?uuid=\(uuid)", token: TestJWT.token(query: "uuid=\(uuid)"))
            #expect((cancelled.json as? [String: Any])?["state"] as? String == "cancel")
            let accounts = try await rest(.GET, base + "/v1/accounts", token: TestJWT.token())
            let krw = (accounts.json as? [[String: Any]])?.first { $0["currency"] as? String == "KRW" }
            #expect(krw?["balance"] as? String == "10000000" && krw?["locked"] as? String == "0")
            let tooBig = #"{"market":"KRW-BTC","side":"bid","volume":"10","price":"100000000","ord_type":"limit"}"#
            let rejected = try await rest(
                .POST, base + "/v1/orders",
                token: TestJWT.token(query: "market=KRW-BTC&side=bid&volume=10&price=100000000&ord_type=limit"),
                body: tooBig)
            #expect(
                ((rejected.json as? [String: Any])?["error"] as? [String: Any])?["name"] as? String
                    == "insufficient_funds_bid")
        }
    }
}

/// A lock-protected value for test closures.
final class MutexBox<Value: Sendable>: @unchecked Sendable {  // guarded by `lock`
    private let lock = NSLock()
    private var value: Value

    init(_ value: Value) { self.value = value }

    func set(_ newValue: Value) { lock.withLock { value = newValue } }
    func get() -> Value { lock.withLock { value } }
}
