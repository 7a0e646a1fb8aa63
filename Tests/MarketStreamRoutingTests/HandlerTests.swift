import MarketStreamCore
import MarketStreamRouting
import MarketStreamTesting
import Testing

/// Best bid, best ask and spread from order books.
struct SpreadHandler: DataTypeHandler {
    let producedKind = try! DataKind.custom("spread")
    let consumedKinds: [DataKind] = [.orderbook]

    struct Processor: DataTypeProcessor {
        mutating func process(_ event: MarketEvent) throws -> [MarketPayload] {
            guard case .orderbook(let book) = event.payload, let best = book.units.first else { return [] }
            if best.askPrice < best.bidPrice { throw MarketStreamError(.malformedFrame, "crossed book") }
            return [
                .custom(
                    CustomPayload([
                        ("bid", best.bidPrice), ("ask", best.askPrice), ("spread", best.askPrice - best.bidPrice),
                    ]))
            ]
        }
    }

    func makeProcessor(exchange: ExchangeID, market: MarketCode) -> any DataTypeProcessor { Processor() }
}

/// Counts trades per market: per-market state.
struct TradeCountHandler: DataTypeHandler {
    let producedKind = try! DataKind.custom("trade-count")
    let consumedKinds: [DataKind] = [.trade]

    struct Processor: DataTypeProcessor {
        var count = 0
        mutating func process(_ event: MarketEvent) throws -> [MarketPayload] {
            count += 1
            return [.custom(CustomPayload([("count", ExactDecimal(count))]))]
        }
    }

    func makeProcessor(exchange: ExchangeID, market: MarketCode) throws -> any DataTypeProcessor {
        if market.base == "FAIL" { throw MarketStreamError(.invalidArgument, "no processor for \(market)") }
        return Processor()
    }
}

func book(bid: ExactDecimal, ask: ExactDecimal) -> MarketPayload {
    .orderbook(
        Orderbook(
            totalAskSize: 1, totalBidSize: 1, units: [.init(askPrice: ask, bidPrice: bid, askSize: 1, bidSize: 1)]))
}

@Suite(.timeLimit(.minutes(1))) struct HandlerTests {
    static let registry = try! HandlerRegistry([SpreadHandler(), TradeCountHandler()])
    let spread = try! DataKind.custom("spread")
    let tradeCount = try! DataKind.custom("trade-count")

    func harness() -> RouterHarness {
        RouterHarness(handlers: Self.registry)
    }

    @Test func aDerivedKindSubscribesItsInputsAndReleasesThem() async throws {
        try await harness().run { h in
            await h.exchange.waitForConnection(1)
            var spreads = try h.router.subscribe(to: spread, markets: [btc]).makeAsyncIterator()
            await h.exchange.waitUntil { $0.live[.public] == [topic(btc, .orderbook)] }
            h.exchange.emit(book(bid: 100, ask: 103), kind: .orderbook, market: btc)
            let event = try await spreads.next { $0.marketEvent?.stream == .realtime }
            guard case .custom(let payload)? = event?.marketEvent?.payload else {
                Issue.record("expected a spread")
                return
            }
            #expect(event?.marketEvent?.kind == spread && event?.marketEvent?.market == btc)
            #expect(payload["spread"] == 3 && payload["bid"] == 100 && payload["ask"] == 103)
            // Shared with a plain orderbook subscriber: one upstream topic.
            let books = try h.router.subscribe(to: .orderbook, markets: [btc])
            #expect(h.exchange.snapshot.live[.public] == [topic(btc, .orderbook)])
            books.cancel()
            spreads = try h.router.subscribe(to: spread, markets: [eth]).makeAsyncIterator()
            await h.exchange.waitUntil { $0.live[.public] == [topic(eth, .orderbook)] }
        }
    }

    @Test func aFailingHandlerSkipsThatEventOnly() async throws {
        try await harness().run { h in
            await h.exchange.waitForConnection(1)
            var spreads = try h.router.subscribe(to: spread, markets: [btc]).makeAsyncIterator()
            var books = try h.router.subscribe(to: .orderbook, markets: [btc]).makeAsyncIterator()
            await h.exchange.waitUntil { $0.live[.public] == [topic(btc, .orderbook)] }
            h.exchange.emit(book(bid: 105, ask: 100), kind: .orderbook, market: btc)  // crossed: the handler throws
            h.exchange.emit(book(bid: 100, ask: 101), kind: .orderbook, market: btc)
            let event = try await spreads.next { $0.marketEvent?.stream == .realtime }
            guard case .custom(let payload)? = event?.marketEvent?.payload else {
                Issue.record("expected a spread")
                return
            }
            #expect(payload["spread"] == 1, "the crossed book was skipped, the next one processed")
            let first = try await books.next { $0.marketEvent?.stream == .realtime }
            guard case .orderbook(let crossed)? = first?.marketEvent?.payload else {
                Issue.record("expected a book")
                return
            }
            #expect(crossed.units.first?.bidPrice == 105, "plain subscribers still got the book")
            #expect(h.router.health().channels.first { $0.channel == publicChannel }?.handlerFailures == 1)
        }
    }

    @Test func processorsKeepStatePerMarket() async throws {
        try await harness().run { h in
            await h.exchange.waitForConnection(1)
            var counts = try h.router.subscribe(to: tradeCount, markets: [btc, eth]).makeAsyncIterator()
            await h.exchange.waitUntil { $0.live[.public]?.count == 2 }
            for market in [btc, btc, eth, btc] {
                h.exchange.emit(
                    .trade(Trade(id: 1, price: 1, size: 1, side: .bid)), kind: .trade,
                    market: market)
            }
            var seen: [String] = []
            while seen.count < 4, let event = try await counts.nextMarketEvent() {
                guard event.stream == .realtime, case .custom(let payload) = event.payload else { continue }
                seen.append("\(event.market.base)=\(payload["count"]!)")
            }
            // The snapshot trades (one per market) counted first.
            #expect(seen == ["BTC=2", "BTC=3", "ETH=2", "BTC=4"])
        }
    }

    @Test func aDerivedSnapshotComesFromItsInputsSnapshot() async throws {
        try await harness().run { h in
            await h.exchange.waitForConnection(1)
            h.exchange.emit(book(bid: 10, ask: 12), kind: .orderbook, market: xrp)
            let snapshot = try await h.router.snapshot(of: spread, markets: [xrp])
            guard case .custom(let payload)? = snapshot.first?.payload else {
                Issue.record("expected a spread snapshot")
                return
            }
            #expect(payload["spread"] == 2 && snapshot.first?.stream == .snapshot)
        }
    }

    @Test func invalidHandlersAndKindsAreTypedErrors() throws {
        struct Builtin: DataTypeHandler {
            var producedKind: DataKind { .ticker }
            var consumedKinds: [DataKind] { [.trade] }
            func makeProcessor(exchange: ExchangeID, market: MarketCode) -> any DataTypeProcessor {
                SpreadHandler.Processor()
            }
        }
        struct Chained: DataTypeHandler {
            var producedKind: DataKind { try! .custom("chained") }
            var consumedKinds: [DataKind] { [try! .custom("spread")] }
            func makeProcessor(exchange: ExchangeID, market: MarketCode) -> any DataTypeProcessor {
                SpreadHandler.Processor()
            }
        }
        struct Nothing: DataTypeHandler {
            var producedKind: DataKind { try! .custom("nothing") }
            var consumedKinds: [DataKind] { [] }
            func makeProcessor(exchange: ExchangeID, market: MarketCode) -> any DataTypeProcessor {
                SpreadHandler.Processor()
            }
        }
        for handlers in [[Builtin()], [SpreadHandler(), SpreadHandler()], [Chained()], [Nothing()]]
            as [[any DataTypeHandler]]
        {
            #expect(throws: MarketStreamError.self) { try HandlerRegistry(handlers) }
        }
        let router = harness().router
        #expect {
            _ = try router.subscribe(to: tradeCount, markets: [MarketCode("KRW-FAIL")])
        } throws: { error in
            (error as? MarketStreamError)?.code == .handlerFailed
        }
        #expect(router.desiredTopics(on: publicChannel).isEmpty, "a failed subscription leaves nothing behind")
        #expect {
            _ = try router.subscribe(to: .custom("unknown"), markets: [btc])
        } throws: { error in
            (error as? MarketStreamError)?.code == .unsupportedDataKind
        }
    }
}
