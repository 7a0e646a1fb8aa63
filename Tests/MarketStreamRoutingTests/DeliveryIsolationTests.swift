import Clocks
import MarketStreamCore
import MarketStreamRouting
import MarketStreamTesting
import Metrics
import MetricsTestKit
import Testing

@Suite(.timeLimit(.minutes(1))) struct DeliveryIsolationTests {
    @Test func aStalledSubscriberDoesNotSlowAnother() async throws {
        let harness = RouterHarness(
            configuration: RouterConfiguration(debounce: .zero, gracePeriod: .zero, bufferCapacity: 4))
        try await harness.run { h in
            await h.exchange.waitForConnection(1)
            let stalled = try h.router.subscribe(to: .ticker, markets: [btc])
            let reader = try h.router.subscribe(to: .ticker, markets: [btc], policy: .lossless)
            await h.waitForUpstream([btc])
            let (progress, progressSink) = AsyncStream.makeStream(of: ExactDecimal.self)
            let received = Task {
                var prices: [ExactDecimal] = []
                for try await event in reader {
                    // The snapshot first: until it is taken, four ticks would overflow the buffer of four.
                    if event.marketEvent?.stream == .snapshot { progressSink.yield(-1) }
                    guard event.marketEvent?.stream == .realtime, let price = event.price else { continue }
                    prices.append(price)
                    progressSink.yield(price)
                    if prices.count == 100 { break }
                }
                return prices
            }
            var progressIterator = progress.makeAsyncIterator()
            _ = await progressIterator.next()  // the reader has taken the snapshot
            for batch in 0..<25 {
                // Four at a time: the reader's lossless buffer holds four; the stalled one never reads.
                for price in 1...4 { h.exchange.emitTicker(btc, price: ExactDecimal(batch * 4 + price)) }
                for _ in 0..<4 { _ = await progressIterator.next() }
            }
            let prices = try await received.value
            #expect(prices == (1...100).map { ExactDecimal($0) })
            #expect(
                stalled.droppedCount == 97,
                "101 events (a snapshot and 100 ticks) into a buffer of 4: the oldest were dropped, not waited for")
            let health = h.router.health().channels.first { $0.channel == publicChannel }
            #expect(health?.droppedEvents == 97)
            let drops = try h.metrics.expectCounter(
                "marketstream.subscriber.dropped",
                [
                    ("exchange", "memory"), ("kind", "ticker"), ("subscriber", "anonymous"),
                ])
            #expect(drops.totalValue == 97)
        }
    }

    @Test func coalescingSubscribersSeeTheLatestStatePerMarket() async throws {
        let harness = RouterHarness(configuration: RouterConfiguration(debounce: .zero, gracePeriod: .zero))
        try await harness.run { h in
            await h.exchange.waitForConnection(1)
            let ui = try h.router.subscribe(to: .ticker, markets: [btc, eth], policy: .coalesceByKey)
            let control = try h.router.subscribe(to: .ticker, markets: [btc, eth], policy: .lossless)
            await h.waitForUpstream([btc, eth])
            for price in 1...50 {
                h.exchange.emitTicker(btc, price: ExactDecimal(price))
                h.exchange.emitTicker(eth, price: ExactDecimal(1_000 + price))
            }
            // Wait until the router routed the last tick (the lossless control sees everything).
            var controlIterator = control.makeAsyncIterator()
            while let event = try await controlIterator.nextMarketEvent() {
                if event.market == eth, case .ticker(let t) = event.payload, t.price == 1_050 { break }
            }
            var iterator = ui.makeAsyncIterator()
            var latest: [MarketCode: ExactDecimal] = [:]
            while latest[btc] != 50 || latest[eth] != 1_050 {
                guard let event = try await iterator.nextMarketEvent(), case .ticker(let t) = event.payload else {
                    break
                }
                latest[event.market] = t.price
            }
            #expect(latest == [btc: 50, eth: 1_050])
            #expect(ui.droppedCount > 0, "superseded states were coalesced away")
        }
    }
}

@Suite(.timeLimit(.minutes(1))) struct SnapshotAndHealthTests {
    @Test func aSnapshotNobodyAnswersTimesOut() async throws {
        let harness = RouterHarness(
            configuration: RouterConfiguration(debounce: .zero, gracePeriod: .zero, snapshotTimeout: .seconds(2)))
        try await harness.run { h in
            await h.exchange.waitForConnection(1)
            h.exchange.refuseConnections(1_000)
            h.exchange.dropConnection()
            let snapshot = Task { try await h.router.snapshot(of: .ticker, markets: [btc]) }
            _ = await h.advance(by: .milliseconds(100), upTo: .seconds(3)) { false }
            await #expect {
                _ = try await snapshot.value
            } throws: { error in
                (error as? MarketStreamError)?.code == .timedOut
            }
            #expect(h.router.health().status >= .degraded)
        }
    }

    @Test func healthAndMetricsDescribeTheChannels() async throws {
        let wall = MutexBox(Int64(1_000_000_000))
        let harness = RouterHarness(wallClock: { UnixTime(nanoseconds: wall.withLock { $0 }) })
        try await harness.run { h in
            await h.exchange.waitForConnection(1)
            let subscription = try h.router.subscribe(to: .ticker, markets: [btc, eth])
            await h.waitForUpstream([btc, eth])
            for price in 1...10 { h.exchange.emitTicker(btc, price: ExactDecimal(price)) }
            var iterator = subscription.makeAsyncIterator()
            var seen = 0
            while seen < 10, let event = try await iterator.nextMarketEvent() {
                if event.stream == .realtime { seen += 1 }
            }
            wall.withLock { $0 += 3_000_000_000 }
            await h.clock.advance(by: .seconds(1))
            let health = h.router.health()
            let channel = try #require(health.channels.first { $0.channel == publicChannel })
            #expect(health.status == .healthy && health.subscribers == 1)
            #expect(channel.state == .streaming && channel.generation == ConnectionGeneration(1))
            #expect(channel.upstreamTopics == 2 && channel.upstreamMessages == 1 && channel.subscribers == 1)
            #expect(channel.messagesReceived >= 12, "two snapshots and ten ticks")
            #expect(channel.uptime == .seconds(3) && channel.lastMessageAge == .seconds(3))
            #expect(health.description.contains("memory/public: streaming"))
            let received = try h.metrics.expectCounter(
                "marketstream.messages.received", [("exchange", "memory"), ("channel", "public")])
            #expect(received.totalValue >= 12)
            let topics = try h.metrics.expectGauge(
                "marketstream.upstream.topics", [("exchange", "memory"), ("channel", "public")])
            #expect(topics.lastValue == 2)
        }
    }
}
