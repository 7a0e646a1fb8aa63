import MarketStreamCore
import MarketStreamRouting
import MarketStreamTesting
import Testing

@Suite(.timeLimit(.minutes(1))) struct SeedScenarioTests {
    /// Seed 001: chart subscribes KRW-BTC; the coin list takes a snapshot and a stream of KRW-ETH
    /// and KRW-XRP; the coin list drops KRW-XRP; the chart goes away.
    @Test func componentsNeverCancelEachOthersStreams() async throws {
        let harness = RouterHarness()
        try await harness.run { h in
            await h.exchange.waitForConnection(1)
            let chart = try h.router.client("chart.KRW-BTC-1m")
            var chartTicks = try chart.subscribe(to: .ticker, markets: [btc]).makeAsyncIterator()
            await h.waitForUpstream([btc])

            let coinList = try h.router.client("coinlist.main")
            let snapshot = try await coinList.snapshot(of: .ticker, markets: [eth, xrp])
            #expect(snapshot.map(\.market) == [eth, xrp])
            #expect(snapshot.allSatisfy { $0.stream == .snapshot })
            #expect(h.upstream == [btc], "the snapshot re-listed the live key instead of cancelling it")

            var coinTicks = try coinList.subscribe(to: .ticker, markets: [eth, xrp]).makeAsyncIterator()
            await h.waitForUpstream([btc, eth, xrp])

            // The chart's stream survived the snapshot and the coin list's subscription.
            h.exchange.emitTicker(btc, price: 116_539_000)
            let chartEvent = try await chartTicks.next { $0.marketEvent?.stream == .realtime }
            #expect(chartEvent?.price == 116_539_000)

            coinList.unsubscribe(from: .ticker, markets: [xrp])
            await h.waitForUpstream([btc, eth])
            chart.close()
            await h.waitForUpstream([eth])
            #expect(try await chartTicks.next(where: { _ in true }) == nil, "closing the client ended its stream")

            h.exchange.emitTicker(eth, price: 4_321_000)
            let coinEvent = try await coinTicks.next { $0.marketEvent?.stream == .realtime }
            #expect(coinEvent?.price == 4_321_000)

            let requests = h.exchange.snapshot.requests
            let liveSets = requests.map { Set($0.liveAfter.map(\.market)) }
            #expect(liveSets == [[btc], [btc], [btc, eth, xrp], [btc, eth], [eth]])
            #expect(requests[1].request.snapshotTopics.map(\.market).sorted() == [eth, xrp])
            #expect(requests[1].request.topics[topic(btc)] == .live, "the live key is re-listed realtime-only")
            #expect(Set(requests.map(\.connection)) == [1], "one connection served every component")
        }
    }
}
