import Clocks
import MarketStreamCore
import MarketStreamRouting
import MarketStreamTesting
import Testing

@Suite(.timeLimit(.minutes(1))) struct CleanupTests {
    @Test func cancellingTheConsumingTaskReleasesTheUpstreamSubscription() async throws {
        try await RouterHarness().run { h in
            await h.exchange.waitForConnection(1)
            let subscription = try h.router.subscribe(to: .ticker, markets: [btc])
            let consumer = Task {
                for try await _ in subscription {}
            }
            await h.waitForUpstream([btc])
            consumer.cancel()
            _ = try await consumer.value
            await h.waitForUpstream([])
            #expect(h.router.desiredTopics(on: publicChannel).isEmpty)
        }
    }

    @Test func droppingASubscriptionReleasesIt() async throws {
        try await RouterHarness().run { h in
            await h.exchange.waitForConnection(1)
            do {
                let subscription = try h.router.subscribe(to: .ticker, markets: [btc])
                await h.waitForUpstream([btc])
                withExtendedLifetime(subscription) {}
            }
            await h.waitForUpstream([])
        }
    }

    @Test func endingTheLoopOfAScopedSubscriptionReleasesIt() async throws {
        try await RouterHarness().run { h in
            await h.exchange.waitForConnection(1)
            let price = try await h.router.withSubscription(to: .ticker, markets: [btc]) { ticks in
                await h.waitForUpstream([btc])
                h.exchange.emitTicker(btc, price: 7)
                for try await event in ticks where event.marketEvent?.stream == .realtime {
                    return event.price
                }
                return nil
            }
            #expect(price == 7)
            await h.waitForUpstream([])
        }
    }

    @Test func releasingAClientHandleEndsItsSubscriptions() async throws {
        try await RouterHarness().run { h in
            await h.exchange.waitForConnection(1)
            var client: MarketDataClient? = try h.router.client("orderbook.view")
            let books = try client?.subscribe(to: .orderbook(depth: .fifteen), markets: [btc])
            let ticks = try client?.subscribe(to: .ticker, markets: [eth])
            await h.waitForUpstream([btc, eth])
            client = nil
            await h.waitForUpstream([])
            var bookIterator = try #require(books).makeAsyncIterator()
            let afterRelease = try await bookIterator.next { $0.marketEvent?.stream == .realtime }
            #expect(afterRelease == nil, "the stream ended with its client")
            // The identifier is free again.
            let again = try h.router.client("orderbook.view")
            again.close()
            withExtendedLifetime(ticks) {}
        }
    }

    @Test func unsubscribeAllEndsEverySubscriptionButKeepsTheClient() async throws {
        try await RouterHarness().run { h in
            await h.exchange.waitForConnection(1)
            let client = try h.router.client("strategy.momentum")
            let first = try client.subscribe(to: .ticker, markets: [btc, eth])
            let second = try client.subscribe(to: .trade, markets: [btc])
            await h.exchange.waitUntil { $0.live[.public]?.count == 3 }
            client.unsubscribeAll()
            await h.waitForUpstream([])
            var iterator = first.makeAsyncIterator()
            while try await iterator.next() != nil {}
            let third = try client.subscribe(to: .ticker, markets: [xrp])
            await h.waitForUpstream([xrp])
            withExtendedLifetime((second, third)) {}
        }
    }

    @Test func partialUnsubscribeKeepsTheOtherMarkets() async throws {
        try await RouterHarness().run { h in
            await h.exchange.waitForConnection(1)
            let client = try h.router.client("coinlist.main")
            let other = try h.router.client("chart.main")
            var ticks = try client.subscribe(to: .ticker, markets: [btc, eth, xrp]).makeAsyncIterator()
            let chart = try other.subscribe(to: .ticker, markets: [xrp])
            await h.waitForUpstream([btc, eth, xrp])
            client.unsubscribe(from: .ticker, markets: [xrp, btc])
            client.unsubscribe(from: .trade, markets: [eth])  // no such subscription: nothing happens
            await h.waitForUpstream([eth, xrp])
            h.exchange.emitTicker(xrp, price: 1)
            h.exchange.emitTicker(eth, price: 2)
            let event = try await ticks.next { $0.marketEvent?.stream == .realtime }
            #expect(event?.marketEvent?.market == eth, "the dropped market no longer reaches this client")
            client.unsubscribe(from: .ticker, markets: [eth])
            #expect(
                try await ticks.next(where: { $0.marketEvent?.stream == .realtime }) == nil,
                "no market left: the stream ended")
            await h.waitForUpstream([xrp])
            withExtendedLifetime(chart) {}
        }
    }

    @Test func shutdownEndsEverySubscriptionWithATypedError() async throws {
        let harness = RouterHarness()
        let subscription = try harness.router.subscribe(to: .ticker, markets: [btc])
        try await harness.run { h in
            await h.waitForUpstream([btc])
        }
        var iterator = subscription.makeAsyncIterator()
        await #expect {
            while try await iterator.next() != nil {}
        } throws: { error in
            (error as? MarketStreamError)?.code == .routerShutDown
        }
        #expect(harness.router.health().channels.allSatisfy { $0.state == .stopped })
    }
}

@Suite(.timeLimit(.minutes(1))) struct BadInputTests {
    func code(of body: () throws -> Void) -> MarketStreamError.Code? {
        do {
            try body()
            return nil
        } catch {
            return (error as? MarketStreamError)?.code
        }
    }

    @Test func invalidRequestsAreTypedErrors() throws {
        let router = RouterHarness().router
        #expect(code { _ = try MarketCode("krw-btc") } == .invalidMarketCode)
        #expect(code { _ = try DataKind(parsing: "tickers") } == nil, "well-formed names parse as custom kinds…")
        let custom = try DataKind(parsing: "tickers")
        #expect(
            code { _ = try router.subscribe(to: custom, markets: [btc]) } == .unsupportedDataKind,
            "…that no channel carries")
        #expect(code { _ = try DataKind(parsing: "orderbook.0") } == .unknownDataKind)
        #expect(
            code { _ = try router.subscribe(to: .orderbook(depth: OrderbookDepth(rawValue: 7)), markets: [btc]) }
                == .unsupportedDataKind, "a depth the venue does not declare")
        #expect(
            code { _ = try router.subscribe(to: .orderbook(depth: .fifteen), markets: [btc]) } == nil,
            "a declared depth")
        #expect(code { _ = try router.subscribe(to: .ticker, markets: []) } == .invalidArgument)
        #expect(code { _ = try router.subscribe(to: .ticker, markets: [btc], on: "binance") } == .unknownExchange)
        #expect(code { _ = try router.subscribe(to: .myOrder, markets: [btc]) } == .authenticationUnavailable)
        #expect(code { _ = try router.client("has space") } == .invalidArgument)
    }

    @Test func duplicateClientIDsAreRejected() throws {
        let router = RouterHarness().router
        let chart = try router.client("chart.KRW-BTC-1m")
        #expect(code { _ = try router.client("chart.KRW-BTC-1m") } == .duplicateClientID)
        chart.close()
        #expect(chart.isClosed)
        #expect(code { _ = try chart.subscribe(to: .ticker, markets: [btc]) } == .clientClosed)
        let reopened = try router.client("chart.KRW-BTC-1m")
        reopened.close()
    }

    @Test func useAfterShutdownIsATypedError() async throws {
        let harness = RouterHarness()
        try await harness.run { _ in }
        #expect(code { _ = try harness.router.subscribe(to: .ticker, markets: [btc]) } == .routerShutDown)
        #expect(code { _ = try harness.router.client("late.client") } == .routerShutDown)
        await #expect {
            _ = try await harness.router.snapshot(of: .ticker, markets: [btc])
        } throws: { error in
            (error as? MarketStreamError)?.code == .routerShutDown
        }
        await #expect {
            try await harness.router.run()
        } throws: { error in
            (error as? MarketStreamError)?.code == .routerShutDown
        }
    }

    @Test func privateKindsWorkWithCredentials() async throws {
        try await RouterHarness(hasCredentials: true).run { h in
            var orders = try h.router.subscribe(to: .myOrder, markets: []).makeAsyncIterator()
            await h.exchange.waitUntil { $0.live[.private]?.count == 1 }
            #expect(h.exchange.snapshot.live[.private]?.first?.market == .account)
            h.exchange.emit(
                .myOrder(MyOrder(uuid: "u-1", side: .bid, orderType: "limit", state: "trade", price: 5)),
                kind: .myOrder, market: .account)
            let event = try await orders.next { $0.marketEvent?.stream == .realtime }
            guard case .myOrder(let order)? = event?.marketEvent?.payload else {
                Issue.record("expected an order")
                return
            }
            #expect(order.uuid == "u-1" && order.state == "trade" && order.price == 5)
            // A subscriber of one market's orders gets only that market's.
            var btcOrders = try h.router.subscribe(to: .myOrder, markets: [btc]).makeAsyncIterator()
            await h.exchange.waitUntil { $0.live[.private]?.count == 2 }
            h.exchange.emit(
                .myOrder(MyOrder(uuid: "u-2", side: .ask, orderType: "limit", state: "wait")), kind: .myOrder,
                market: btc)
            let btcEvent = try await btcOrders.next { $0.marketEvent?.stream == .realtime }
            let allEvent = try await orders.next { $0.marketEvent?.stream == .realtime }
            #expect(btcEvent?.marketEvent?.market == btc && allEvent?.marketEvent?.market == btc)
        }
    }

    @Test func framesHandedOverTogetherKeepTheirReceiveTimesAndOrder() async throws {
        try await RouterHarness().run { h in
            await h.exchange.waitForConnection(1)
            var ticks = try h.router.subscribe(to: .ticker, markets: [btc]).makeAsyncIterator()
            await h.waitForUpstream([btc])
            let times = [1_000_000_001, 1_000_000_002, 1_000_000_050].map { UnixTime(nanoseconds: Int64($0)) }
            h.exchange.sendFrames(
                zip(1..., times).map { price, time in
                    ReceivedFrame(.text("E|realtime|ticker|KRW-BTC|\(price)|\(price)|0"), receivedAt: time)
                })
            var received: [(ExactDecimal?, UnixTime?)] = []
            while received.count < 3 {
                guard let event = try await ticks.next(where: { $0.marketEvent?.stream == .realtime }) else { break }
                received.append((event.price, event.marketEvent?.receivedAt))
            }
            #expect(received.map(\.0) == [1, 2, 3])
            #expect(received.map(\.1) == times, "each event carries its frame's receive time, not the router's clock")
        }
    }

    @Test func aBurstReceivedNowIsStampedWithOneReadingOfTheRoutersClockInOrder() async throws {
        // A wall clock that moves on every reading: frames stamped one by one would differ.
        let wall = MutexBox(Int64(7_000_000_000))
        let reading: @Sendable () -> UnixTime = {
            UnixTime(
                nanoseconds: wall.withLock { now in
                    defer { now += 1 }
                    return now
                })
        }
        try await RouterHarness(wallClock: reading).run { h in
            await h.exchange.waitForConnection(1)
            var ticks = try h.router.subscribe(to: .ticker, markets: [btc]).makeAsyncIterator()
            await h.waitForUpstream([btc])
            // What the exchange sent before (its acknowledgement, a snapshot) is counted first: a
            // marker event arrives after it.
            h.exchange.sendBurst([.text("E|realtime|ticker|KRW-BTC|100|0|0")])
            _ = try await ticks.next(where: { $0.marketEvent?.stream == .realtime })
            let before = h.router.health().channels.first { $0.channel == publicChannel }?.messagesReceived ?? 0
            h.exchange.sendBurst((1...3).map { .text("E|realtime|ticker|KRW-BTC|\($0)|\($0)|0") })
            var received: [(ExactDecimal?, UnixTime?)] = []
            while received.count < 3 {
                guard let event = try await ticks.next(where: { $0.marketEvent?.stream == .realtime }) else { break }
                received.append((event.price, event.marketEvent?.receivedAt))
            }
            #expect(received.map(\.0) == [1, 2, 3])
            let stamps = Set(received.map(\.1))
            #expect(stamps.count == 1, "one reading of the router's clock for the whole burst: \(stamps)")
            #expect(stamps.allSatisfy { ($0?.nanoseconds ?? 0) > 7_000_000_000 })
            let health = h.router.health().channels.first { $0.channel == publicChannel }
            #expect(health.map { $0.messagesReceived - before } == 3)
        }
    }

    @Test func malformedFramesAreCountedAndSkipped() async throws {
        try await RouterHarness().run { h in
            await h.exchange.waitForConnection(1)
            var ticks = try h.router.subscribe(to: .ticker, markets: [btc]).makeAsyncIterator()
            await h.waitForUpstream([btc])
            h.exchange.sendRawFrame(.text("E|realtime|ticker|KRW-BTC|notanumber|1"))
            h.exchange.sendRawFrame(.binary([0xFF, 0xFE]))
            h.exchange.sendRawFrame(.text("garbage"))
            h.exchange.sendRawFrame(.text("E|realtime|ticker|KRW-BTC|1|1.5|0"))
            let event = try await ticks.next { $0.marketEvent?.stream == .realtime }
            #expect(event?.price == ExactDecimal("1.5"))
            let health = h.router.health().channels.first { $0.channel == publicChannel }
            #expect(health?.malformedFrames == 3)
            #expect(h.exchange.snapshot.connections[.public] == 1, "the connection stayed up")
        }
    }
}
