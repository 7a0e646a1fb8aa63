import AsyncHTTPClient
import Logging
import MarketStreamCore
import MockExchange
import NIOCore
import NIOHTTP1
import Testing
import UpbitExchange
import UpbitWire

/// Runs a mock exchange and hands its REST base to `body`.
func withMockREST(
    configure: (inout MockExchangeConfiguration) -> Void = { _ in },
    _ body: @Sendable (MockExchangeServer, String) async throws -> Void
) async throws {
    var configuration = MockExchangeConfiguration(
        updatesPerSecond: 100, credentials: [MockCredentials(accessKey: keys.accessKey, secretKey: keys.secretKey)])
    configure(&configuration)
    let server = MockExchangeServer(configuration: configuration, logger: quietLogger)
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await server.run() }
        defer { group.cancelAll() }
        try await body(server, try await server.endpoint().restBase)
    }
}

/// The REST client against the mock exchange's REST API over a real socket.
@Suite(.timeLimit(.minutes(1))) struct RESTClientTests {
    let btc = try! MarketCode("KRW-BTC")
    let eth = try! MarketCode("KRW-ETH")

    @Test func quotationSnapshotsAreExact() async throws {
        try await withMockREST { server, base in
            server.advanceMarket(steps: 200)
            let rest = try UpbitRESTClient(baseURL: base)
            let markets = try await rest.markets()
            #expect(
                markets.contains { $0.code == btc } && markets.count == 22, "20 markets and the two cross-venue ones")
            let tickers = try await rest.tickers([btc, eth])
            #expect(tickers.map(\.market) == [btc, eth] && tickers.allSatisfy { $0.stream == .snapshot })
            guard case .ticker(let ticker)? = tickers.first?.payload else { Issue.record("not a ticker"); return }
            #expect(ticker.price > .zero && ticker.time.milliseconds > 0)
            let books = try await rest.orderbooks([btc], count: 15)
            guard case .orderbook(let book) = books.first?.payload else { Issue.record("no book"); return }
            #expect(book.units.count == 15 && book.units[0].askPrice > book.units[0].bidPrice)
            let trades = try await rest.trades(btc, count: 5)
            #expect(trades.count == 5 && trades.allSatisfy { $0.kind == .trade })
            if case .trade(let trade)? = trades.first?.payload { #expect(trade.id > 1 << 53) }
            let candles = try await rest.candles(btc, interval: .oneMinute, count: 1)
            #expect(candles.count == 1 && candles.first?.kind == .candle(.oneMinute))
        }
    }

    @Test func anOrderLifecycleOverREST() async throws {
        try await withMockREST { _, base in
            let rest = try UpbitRESTClient(baseURL: base, credentials: keys)
            let start = try await rest.accounts()
            #expect(start.first { $0.currency == "KRW" }?.balance == ExactDecimal(10_000_000))
            // A bid far below the market rests on the book.
            let placed = try await rest.placeOrder(
                .limit(
                    btc, .bid, price: 1_000_000, volume: ExactDecimal(significand: 1, exponent: -3),
                    identifier: "test-1"))
            #expect(placed.state == "wait" && placed.identifier == "test-1")
            let open = try await rest.openOrders(market: btc)
            #expect(open.map(\.uuid) == [placed.uuid])
            let locked = try await rest.accounts().first { $0.currency == "KRW" }
            #expect(locked?.locked == ExactDecimal(1_000) + ExactDecimal(significand: 5, exponent: -1))
            let cancelled = try await rest.cancelOrder(uuid: placed.uuid)
            #expect(cancelled.uuid == placed.uuid)
            let final = try await rest.order(uuid: placed.uuid)
            #expect(final.state == "cancel" && !final.isOpen)
            #expect(try await rest.openOrders().isEmpty)
        }
    }

    @Test func errorsAreTypedAndCarryNoSecrets() async throws {
        try await withMockREST { _, base in
            let anonymous = try UpbitRESTClient(baseURL: base)
            await #expect {
                _ = try await anonymous.accounts()
            } throws: { error in
                (error as? UpbitRESTError)?.reason == .credentialsMissing
            }
            let wrong = try UpbitRESTClient(
                baseURL: base, credentials: UpbitCredentials(accessKey: keys.accessKey, secretKey: "not-the-secret"))
            do {
                _ = try await wrong.accounts()
                Issue.record("a wrong secret was accepted")
            } catch let error as UpbitRESTError {
                #expect(error.reason == .rejected(status: 401, name: "jwt_verification"))
                #expect(!error.description.contains("not-the-secret") && !error.description.contains("Bearer"))
            }
            let rest = try UpbitRESTClient(baseURL: base, credentials: keys)
            do {
                _ = try await rest.order(uuid: "no-such-order")
                Issue.record("an unknown order was found")
            } catch let error as UpbitRESTError {
                #expect(error.name == "order_not_found")
            }
            await #expect {
                _ = try await rest.tickers([MarketCode("KRW-NOPE")])
            } throws: { error in
                (error as? UpbitRESTError)?.reason == .rejected(status: 404, name: "404")
            }
            let unreachable = try UpbitRESTClient(baseURL: "http://127.0.0.1:1", timeout: .milliseconds(500))
            await #expect {
                _ = try await unreachable.markets()
            } throws: { error in
                (error as? UpbitRESTError)?.reason == .transport
            }
            #expect(throws: MarketStreamError.self) { _ = try UpbitRESTClient(baseURL: "ftp://example.com") }
        }
    }

    @Test func callsStayInsideTheLimitAndAreNeverRefused() async throws {
        try await withMockREST(configure: { $0.restQuotationPerSecond = 3 }) { _, base in
            let rest = try UpbitRESTClient(baseURL: base)
            // 7 calls against 3 per second: the client spaces them itself, so no call sees a 429.
            let clock = ContinuousClock()
            let started = clock.now
            for _ in 0..<7 { _ = try await rest.tickers([btc]) }
            #expect(started.duration(to: clock.now) >= .seconds(2), "7 calls at 3/s need two more seconds")
        }
    }

    @Test func a418StopsTheGroupAndIsReported() async throws {
        try await withMockREST(configure: {
            $0.restQuotationPerSecond = 1
            $0.restBlockAfterViolations = 1
            $0.restBlockDuration = .seconds(30)
        }) { _, base in
            // Another program on the same IP keeps calling after its 429s until the IP is blocked
            // (eight calls at once, so they land in one second however loaded the machine is).
            let statuses = try await withThrowingTaskGroup(of: UInt.self) { group in
                for _ in 0..<8 {
                    group.addTask {
                        let response = try await HTTPClient.shared.execute(
                            HTTPClientRequest(url: base + "/v1/ticker?markets=KRW-BTC"), timeout: .seconds(5))
                        _ = try await response.body.collect(upTo: 1 << 20)
                        return response.status.code
                    }
                }
                return try await group.reduce(into: [UInt]()) { $0.append($1) }
            }
            #expect(statuses.contains(200) && statuses.contains(418), "\(statuses)")
            let rest = try UpbitRESTClient(baseURL: base)
            do {
                _ = try await rest.tickers([btc])
                Issue.record("a blocked group answered")
            } catch let error as UpbitRESTError {
                guard case .blocked(.ticker, let retryAfter?) = error.reason else {
                    Issue.record("expected a block with the exchange's Retry-After, got \(error)")
                    return
                }
                #expect(retryAfter > .seconds(25) && retryAfter <= .seconds(31))
            }
            // The next call is not sent: the client knows the group is blocked and for how long.
            do {
                _ = try await rest.tickers([btc])
                Issue.record("a blocked group answered")
            } catch let error as UpbitRESTError {
                guard case .blocked(.ticker, let retryAfter?) = error.reason else {
                    Issue.record("expected a block with a time, got \(error)")
                    return
                }
                #expect(retryAfter > .seconds(25) && retryAfter <= .seconds(31))
            }
            // Other groups still work.
            #expect(try await rest.markets().count == 22, "20 markets and the two cross-venue ones")
        }
    }
}
