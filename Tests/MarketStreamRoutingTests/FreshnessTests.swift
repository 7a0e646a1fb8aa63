import MarketStreamCore
import MarketStreamRouting
import MarketStreamTesting
import Testing

/// Per-key freshness in health: keys silent far beyond their usual interval are reported, quiet
/// ones are not, and nothing reconnects for them.
@Suite(.timeLimit(.minutes(1))) struct FreshnessTests {
    @Test func aKeySilentFarBeyondItsUsualIntervalIsReported() async throws {
        let wall = MutexBox(Int64(0))
        let harness = RouterHarness(
            configuration: RouterConfiguration(
                debounce: .zero, gracePeriod: .zero,
                freshness: FreshnessPolicy(minimumSilence: .seconds(30), intervalMultiple: 20)),
            wallClock: { UnixTime(nanoseconds: wall.withLock { $0 }) })
        try await harness.run { h in
            await h.exchange.waitForConnection(1)
            let btcTicks = try h.router.subscribe(to: .ticker, markets: [btc])
            let ethTicks = try h.router.subscribe(to: .ticker, markets: [eth])
            await h.waitForUpstream([btc, eth])
            var btcIterator = btcTicks.makeAsyncIterator()
            var ethIterator = ethTicks.makeAsyncIterator()
            // Each subscription's snapshot first, while the wall clock still reads 0: taken later,
            // it would be stamped with a later second and blur the usual interval.
            _ = try await btcIterator.next { $0.marketEvent?.stream == .snapshot }
            _ = try await ethIterator.next { $0.marketEvent?.stream == .snapshot }
            // Both keys tick once a second for ten seconds.
            for second in 1...10 {
                wall.withLock { $0 = Int64(second) * 1_000_000_000 }
                h.exchange.emitTicker(btc, price: ExactDecimal(second))
                h.exchange.emitTicker(eth, price: ExactDecimal(second))
                _ = try await btcIterator.next { $0.price == ExactDecimal(second) }
                _ = try await ethIterator.next { $0.price == ExactDecimal(second) }
            }
            #expect(h.router.health().channels.allSatisfy { $0.staleTopics.isEmpty })

            // Then only ETH keeps ticking, for 50 more seconds.
            for second in 11...60 {
                wall.withLock { $0 = Int64(second) * 1_000_000_000 }
                h.exchange.emitTicker(eth, price: ExactDecimal(second))
                _ = try await ethIterator.next { $0.price == ExactDecimal(second) }
            }
            let channel = try #require(h.router.health().channels.first { $0.channel == publicChannel })
            #expect(channel.staleTopics.map(\.topic) == [topic(btc)])
            let stale = try #require(channel.staleTopics.first)
            #expect(stale.silentFor == .seconds(50) && stale.usualInterval == .seconds(1) && stale.events >= 10)
            #expect(channel.state == .streaming && channel.reconnects == 0, "a quiet key is no reason to reconnect")
            #expect(h.router.health().status == .degraded, "data is missing for a subscribed key")
            #expect(h.router.health().description.contains("stale: memory/ticker/KRW-BTC silent for 50.0 seconds"))

            // Once nobody subscribes to BTC it is no longer reported.
            btcTicks.cancel()
            await h.waitForUpstream([eth])
            #expect(h.router.health().channels.allSatisfy { $0.staleTopics.isEmpty })
            #expect(h.router.health().status == .healthy)
        }
    }
}
