import BinanceExchange
import BinanceWire
import MarketStreamCore
import MarketStreamRouting
import MockExchange
import Testing

/// Runs a mock exchange and a router with the Binance module pointed at its Binance dialect.
func withBinanceAgainstMock(
    _ configuration: MockExchangeConfiguration = MockExchangeConfiguration(),
    connectionLifetime: Duration = .seconds(24 * 3_600), streamsPerConnection: Int = 1_024,
    frameTap: (any FrameTap)? = nil, _ body: @Sendable (MockExchangeServer, MarketDataRouter) async throws -> Void
) async throws {
    let server = MockExchangeServer(configuration: configuration, logger: quietLogger)
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await server.run() }
        defer { group.cancelAll() }
        let endpoint = try await server.endpoint()
        let binance = try BinanceExchange(
            configuration: .init(
                baseURL: endpoint.webSocketBase + "/binance", connectionLifetime: connectionLifetime,
                streamsPerConnection: streamsPerConnection),
            logger: quietLogger)
        let router = MarketDataRouter(
            managers: [binance], configuration: RouterConfiguration(debounce: .milliseconds(10), gracePeriod: .zero),
            frameTap: frameTap, logger: quietLogger)
        group.addTask { try await router.run() }
        try await body(server, router)
    }
}

/// The first market event of `subscription` that `matches`.
func firstEvent(of subscription: Subscription, where matches: (MarketEvent) -> Bool = { _ in true }) async throws
    -> MarketEvent?
{
    for try await item in subscription {
        if case .market(let event) = item, matches(event) { return event }
    }
    return nil
}

@Suite(.timeLimit(.minutes(1))) struct BinanceAgainstMockTests {
    let btc = MarketCode(validated: "USDT-BTC")

    @Test func everyKindArrivesThroughTheRouter() async throws {
        try await withBinanceAgainstMock { server, router in
            let trade = try await firstEvent(of: try router.subscribe(to: .trade, markets: [btc]))
            guard case .trade(let t) = trade?.payload else { Issue.record("no trade"); return }
            #expect(trade?.exchange == "binance" && trade?.market == btc && t.price > 70_000)
            let ticker = try await firstEvent(of: try router.subscribe(to: .ticker, markets: [btc]))
            guard case .ticker(let k) = ticker?.payload else { Issue.record("no ticker"); return }
            #expect(k.price > 70_000 && k.bestBidPrice != nil && k.bestAskPrice! > k.bestBidPrice!)
            let book = try await firstEvent(of: try router.subscribe(to: .orderbook(depth: .five), markets: [btc]))
            guard case .orderbook(let b) = book?.payload else { Issue.record("no book"); return }
            #expect(b.units.count == 5 && b.sequence != nil && book?.kind == .orderbook(depth: .five))
            let candle = try await firstEvent(of: try router.subscribe(to: .candle(.oneMinute), markets: [btc]))
            guard case .candle(let c) = candle?.payload else { Issue.record("no candle"); return }
            #expect(c.close > 70_000 && candle?.kind == .candle(.oneMinute))
            let health = try #require(router.health().channels.first)
            #expect(health.malformedFrames == 0 && health.upstreamMessages >= 1)
        }
    }

    @Test func theMockCarriesExactlyTheStreamsSubscribersWantAndEveryDepthSharesOne() async throws {
        try await withBinanceAgainstMock { server, router in
            let eth = MarketCode(validated: "KRW-ETH")
            let five = try router.subscribe(to: .orderbook(depth: .five), markets: [btc])
            let ten = try router.subscribe(to: .orderbook(depth: .ten), markets: [btc])
            let trades = try router.subscribe(to: .trade, markets: [btc, eth])
            _ = try await firstEvent(of: trades)
            try await waitUntil {
                server.binanceConnections() == [["btcusdt@depth20@100ms", "btcusdt@trade", "ethkrw@trade"]]
            }
            // Each depth gets its own cut of the one stream.
            let shallow = try await firstEvent(of: five)
            let deeper = try await firstEvent(of: ten)
            guard case .orderbook(let a) = shallow?.payload, case .orderbook(let b) = deeper?.payload else {
                Issue.record("no books")
                return
            }
            #expect(a.units.count == 5 && b.units.count == 10)
            five.cancel()
            trades.cancel()
            try await waitUntil { server.binanceConnections() == [["btcusdt@depth20@100ms"]] }
            ten.cancel()
            try await waitUntil { server.binanceConnections() == [[]] }
        }
    }

    @Test func bookSnapshotsComeFromRESTWithTheirUpdateID() async throws {
        try await withBinanceAgainstMock { server, router in
            let eth = MarketCode(validated: "KRW-ETH")
            let books = try await router.snapshot(of: .orderbook(depth: .five), markets: [btc, eth])
            #expect(books.map(\.market) == [btc, eth] && books.allSatisfy { $0.stream == .snapshot })
            guard case .orderbook(let top) = books.first?.payload else {
                Issue.record("no book")
                return
            }
            #expect(top.units.count == 5 && (top.sequence ?? 0) > 0 && top.units[0].askPrice > top.units[0].bidPrice)
            // A book snapshot opens no stream.
            #expect(server.binanceConnections().allSatisfy { $0.isEmpty })
            let whole = try await router.snapshot(of: .orderbook, markets: [btc])
            if case .orderbook(let book) = whole.first?.payload { #expect(book.units.count == 30) }
            await #expect(throws: MarketStreamError.self) {
                _ = try await router.snapshot(of: .orderbook(depth: .fifteen), markets: [btc])
            }
        }
    }

    @Test func tickerAndTradeSnapshotsComeFromREST() async throws {
        try await withBinanceAgainstMock { server, router in
            // The latest trade, as the trade stream would have delivered it.
            let live = try router.subscribe(to: .trade, markets: [btc])
            let streamed = try #require(try await firstEvent(of: live))
            live.cancel()
            let latest = try await router.snapshot(of: .trade, markets: [btc])
            guard case .trade(let trade) = latest.first?.payload, case .trade(let seen) = streamed.payload else {
                Issue.record("no trade")
                return
            }
            #expect(latest.count == 1 && trade.id >= seen.id && trade.price > 70_000)
            // The ticker, once the market has traded.
            let tickers = try await router.snapshot(of: .ticker, markets: [btc])
            guard case .ticker(let ticker) = tickers.first?.payload else {
                Issue.record("no ticker")
                return
            }
            #expect(tickers.first?.stream == .snapshot && tickers.first?.exchange == "binance")
            #expect(ticker.price > 70_000 && ticker.bestAskPrice! > ticker.bestBidPrice!)
            #expect(ticker.volume24h > 0 && ticker.high! >= ticker.low!)
            await #expect(throws: MarketStreamError.self) {
                _ = try await router.snapshot(of: .ticker, markets: [MarketCode(validated: "USDT-NOPE")])
            }
            withExtendedLifetime(server) {}
        }
    }

    @Test func candleSnapshotsComeFromREST() async throws {
        try await withBinanceAgainstMock { _, router in
            // The current candle of the interval, once the market has traded.
            let live = try router.subscribe(to: .candle(.oneMinute), markets: [btc])
            let streamed = try #require(try await firstEvent(of: live))
            let candles = try await router.snapshot(of: .candle(.oneMinute), markets: [btc])
            guard case .candle(let candle) = candles.first?.payload, case .candle(let seen) = streamed.payload else {
                Issue.record("no candle")
                return
            }
            #expect(candles.count == 1 && candles.first?.kind == .candle(.oneMinute))
            #expect(
                candle.start >= seen.start && candle.high >= candle.low && candle.close > 70_000)
            withExtendedLifetime(live) {}
        }
    }

    @Test func snapshotsAndUnservedKindsAreTypedErrors() async throws {
        try await withBinanceAgainstMock { _, router in
            await #expect(throws: MarketStreamError.self) {
                _ = try await router.snapshot(of: .candle(.tenMinutes), markets: [btc])
            }
            await #expect(throws: MarketStreamError.self) { _ = try await router.snapshot(of: .myAsset, markets: []) }
            #expect(throws: MarketStreamError.self) {
                _ = try router.subscribe(to: .orderbook(depth: .fifteen), markets: [btc])
            }
            #expect(throws: MarketStreamError.self) {
                _ = try router.subscribe(to: .candle(.tenMinutes), markets: [btc])
            }
            #expect(throws: MarketStreamError.self) { _ = try router.subscribe(to: .myAsset, markets: []) }
        }
    }

    @Test func streamsPastTheConnectionsLimitAreRefusedAndSubscribersAreTold() async throws {
        var configuration = MockExchangeConfiguration()
        configuration.binance.streamsPerConnection = 2
        try await withBinanceAgainstMock(configuration) { server, router in
            let trades = try router.subscribe(to: .trade, markets: [btc])
            let tickers = try router.subscribe(to: .ticker, markets: [btc])
            try await waitUntil { server.binanceConnections() == [["btcusdt@ticker", "btcusdt@trade"]] }
            // A third stream is one past the venue's limit, which this client was told is 1 024.
            let candles = try router.subscribe(to: .candle(.oneMinute), markets: [btc])
            var refusal: MarketStreamError?
            for try await item in candles {
                if case .connection(let change) = item, case .exchangeError(let error) = change.kind {
                    refusal = error
                    break
                }
            }
            #expect(refusal?.description.contains("at most 2") == true, "\(String(describing: refusal))")
            // The streams already carried keep flowing.
            #expect(try await firstEvent(of: trades) != nil)
            withExtendedLifetime(tickers) {}
        }
    }

    @Test func aReconnectRestoresEveryStream() async throws {
        try await withBinanceAgainstMock { server, router in
            let trades = try router.subscribe(to: .trade, markets: [btc])
            let tickers = try router.subscribe(to: .ticker, markets: [btc])
            _ = try await firstEvent(of: trades)
            server.dropConnections()
            var sawReconnect = false
            for try await item in trades {
                if case .connection = item { sawReconnect = true }
                if case .market(let event) = item, sawReconnect, event.generation > ConnectionGeneration(1) { break }
            }
            try await waitUntil { server.binanceConnections() == [["btcusdt@ticker", "btcusdt@trade"]] }
            tickers.cancel()
        }
    }

    @Test func malformedFramesAreCountedAndTheStreamGoesOn() async throws {
        try await withBinanceAgainstMock { server, router in
            let trades = try router.subscribe(to: .trade, markets: [btc])
            _ = try await firstEvent(of: trades)
            var faults = server.faults
            faults.malformedFraction = 0.5
            server.setFaults(faults)
            server.sendMalformedFrames()
            try await waitUntil { (router.health().channels.first?.malformedFrames ?? 0) >= 3 }
            var iterator = trades.makeAsyncIterator()
            var delivered = 0
            while delivered < 3, let item = try await iterator.next() {
                if case .market = item { delivered += 1 }
            }
            #expect(delivered == 3 && server.connectionCount == 1, "the same connection keeps delivering")
        }
    }
}

/// Polls `condition` every 20 ms until it holds (the suite's time limit bounds the wait).
func waitUntil(_ condition: () -> Bool) async throws {
    while !condition() { try await Task.sleep(for: .milliseconds(20)) }
}
