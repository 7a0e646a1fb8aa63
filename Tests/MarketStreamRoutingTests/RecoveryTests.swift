import Clocks
import MarketStreamCore
import MarketStreamRouting
import MarketStreamTesting
import Testing

@Suite(.timeLimit(.minutes(1))) struct RecoveryTests {
    static let policy = ReconnectPolicy(
        initialDelay: .milliseconds(250), multiplier: 2, maximumDelay: .seconds(30), jitter: 0.2,
        stablePeriod: .seconds(30))

    @Test func aDroppedConnectionIsRestoredInFullAfterTheBackoff() async throws {
        let harness = RouterHarness(
            configuration: RouterConfiguration(debounce: .zero, gracePeriod: .zero, reconnect: Self.policy))
        try await harness.run { h in
            await h.exchange.waitForConnection(1)
            var tickers = try h.router.subscribe(to: .ticker, markets: [btc, eth]).makeAsyncIterator()
            let trades = try h.router.subscribe(to: .trade, markets: [xrp])
            await h.exchange.waitUntil { $0.live[.public]?.count == 3 }

            h.exchange.dropConnection()
            let outage = try await tickers.next { if case .connection = $0 { true } else { false } }
            guard case .connection(let event)? = outage,
                case .reconnecting(let attempt, let delay, let reason) = event.kind
            else {
                Issue.record("expected a reconnecting event, got \(String(describing: outage))")
                return
            }
            #expect(attempt == 1 && delay == .milliseconds(250), "first retry after 250 ms (jitter sample 0)")
            #expect(reason.requiresReconnect, "the reason is a typed error: \(reason)")
            #expect(h.router.health().status == .degraded)

            await h.clock.advance(by: .milliseconds(249))
            #expect(h.exchange.snapshot.attempts[.public] == 1, "no reconnect before the backoff elapsed")
            await h.clock.advance(by: .milliseconds(1))
            await h.exchange.waitForConnection(2)
            await h.exchange.waitForRequests(2)
            let restore = try #require(h.exchange.snapshot.requests.last)
            #expect(restore.connection == 2)
            #expect(restore.liveAfter == [topic(btc), topic(eth), topic(xrp, .trade)], "the full set is restored")

            let restored = try await tickers.next { if case .connection = $0 { true } else { false } }
            guard case .connection(let event)? = restored, event.kind == .restored else {
                Issue.record("expected a restored event")
                return
            }
            #expect(event.generation == ConnectionGeneration(2))
            #expect(h.router.health().status == .healthy)
            #expect(h.router.health().channels.first { $0.channel == publicChannel }?.reconnects == 1)
            withExtendedLifetime(trades) {}
        }
    }

    @Test func consecutiveFailuresBackOffExponentially() async throws {
        let harness = RouterHarness(
            configuration: RouterConfiguration(debounce: .zero, gracePeriod: .zero, reconnect: Self.policy))
        try await harness.run { h in
            await h.exchange.waitForConnection(1)
            let subscription = try h.router.subscribe(to: .ticker, markets: [btc])
            var iterator = subscription.makeAsyncIterator()
            await h.waitForUpstream([btc])
            h.exchange.refuseConnections(3)
            h.exchange.dropConnection()
            // The clock starts moving once the router has seen the drop.
            _ = try await iterator.next { if case .connection = $0 { true } else { false } }
            // Attempts 2, 3 and 4 are refused; attempt 5 succeeds. Delays: 250, 500, 1000, 2000 ms.
            var attemptTimes: [Duration] = []
            var elapsed = Duration.zero
            var seen = 1
            while seen < 5 && elapsed < .seconds(10) {
                await h.clock.advance(by: .milliseconds(50))
                elapsed += .milliseconds(50)
                let attempts = h.exchange.snapshot.attempts[.public] ?? 0
                if attempts > seen {
                    attemptTimes.append(elapsed)
                    seen = attempts
                }
            }
            // Delays of 250, 500, 1 000 and 2 000 ms: attempt k can never come before the sum of the
            // delays up to it. (Exactly when after it depends on scheduling, so only the lower bounds
            // are asserted here; `ReconnectPolicyTests` checks the delays themselves.)
            let earliest: [Duration] = [
                .milliseconds(250), .milliseconds(750), .milliseconds(1_750), .milliseconds(3_750),
            ]
            #expect(attemptTimes.count == earliest.count)
            for (seen, bound) in zip(attemptTimes, earliest) {
                #expect(seen >= bound, "attempt at \(seen) came before \(bound)")
            }
            #expect((attemptTimes.last ?? .zero) <= .seconds(6), "all four attempts within the backoff budget")
            _ = await h.advance(by: .milliseconds(50), upTo: .seconds(5)) { h.upstream == [btc] }
            #expect(h.upstream == [btc], "the full set is restored on the fifth attempt")
            withExtendedLifetime(subscription) {}
        }
    }

    @Test func eventsOfAnOlderGenerationAreNeverDelivered() async throws {
        let harness = RouterHarness(
            configuration: RouterConfiguration(debounce: .zero, gracePeriod: .zero, reconnect: Self.policy))
        try await harness.run { h in
            await h.exchange.waitForConnection(1)
            let subscription = try h.router.subscribe(to: .ticker, markets: [btc])
            await h.waitForUpstream([btc])
            // The subscriber is not reading: these events wait in its buffer.
            for price in 1...5 { h.exchange.emitTicker(btc, price: ExactDecimal(price)) }
            await h.exchange.waitUntil { _ in true }
            h.exchange.dropConnection()
            _ = await h.advance(by: .milliseconds(50), upTo: .seconds(5)) {
                h.exchange.snapshot.connections[.public] == 2
            }
            await h.waitForUpstream([btc])
            h.exchange.emitTicker(btc, price: 100)
            var iterator = subscription.makeAsyncIterator()
            var generations: [ConnectionGeneration] = []
            while let event = try await iterator.nextMarketEvent() {
                generations.append(event.generation)
                if case .ticker(let ticker) = event.payload, ticker.price == 100 { break }
            }
            #expect(!generations.isEmpty)
            #expect(generations.allSatisfy { $0 == ConnectionGeneration(2) }, "got \(generations)")
        }
    }

    @Test func anExchangeErrorFrameReachesSubscribersAndTheConnectionRecovers() async throws {
        let harness = RouterHarness(
            configuration: RouterConfiguration(debounce: .zero, gracePeriod: .zero, reconnect: Self.policy))
        try await harness.run { h in
            await h.exchange.waitForConnection(1)
            var iterator = try h.router.subscribe(to: .ticker, markets: [btc]).makeAsyncIterator()
            await h.waitForUpstream([btc])
            h.exchange.sendError(name: "INVALID_PARAM", message: "bad request")
            let error = try await iterator.next { if case .connection = $0 { true } else { false } }
            guard case .connection(let event)? = error, case .exchangeError(let error) = event.kind else {
                Issue.record("expected an exchange error event")
                return
            }
            #expect(error.code == .exchangeError && error.message.contains("INVALID_PARAM"))
            _ = await h.advance(by: .milliseconds(50), upTo: .seconds(5)) {
                h.exchange.snapshot.connections[.public] == 2
            }
            await h.waitForUpstream([btc])
            #expect(
                h.router.health().channels.first { $0.channel == publicChannel }?.lastError?.contains("INVALID_PARAM")
                    == true)
        }
    }

    @Test func aSilentConnectionIsReplaced() async throws {
        let harness = RouterHarness(
            configuration: RouterConfiguration(debounce: .zero, gracePeriod: .zero, reconnect: Self.policy))
        try await harness.run { h in
            await h.exchange.waitForConnection(1)
            let subscription = try h.router.subscribe(to: .ticker, markets: [btc])
            await h.waitForUpstream([btc])
            h.exchange.answerPings(false)
            // Keepalive every 25 s, silence tolerance 60 s: a stall is noticed within two windows.
            let waited = await h.advance(by: .seconds(5), upTo: .seconds(300)) {
                h.exchange.snapshot.connections[.public] == 2
            }
            // Detection takes one to two tolerance windows; the test clock moves in 5 s steps, and on a
            // busy machine a step may pass before the watchdog sleeps again.
            #expect(waited > .seconds(60) && waited <= .seconds(200))
            #expect(h.exchange.snapshot.pings >= 2)
            #expect(
                h.router.health().channels.first { $0.channel == publicChannel }?.lastError?.contains("stalled") == true
            )
            withExtendedLifetime(subscription) {}
        }
    }

    @Test func aConnectionThatAnswersPingsButStopsDeliveringDataIsReplaced() async throws {
        // The wall clock follows the test clock, so freshness sees the same time as the watchdog.
        let harness = RouterHarness(
            configuration: RouterConfiguration(debounce: .zero, gracePeriod: .zero, reconnect: Self.policy),
            wallClockFollowsTestClock: true)
        try await harness.run { h in
            await h.exchange.waitForConnection(1)
            var ticks = try h.router.subscribe(to: .ticker, markets: [btc]).makeAsyncIterator()
            await h.waitForUpstream([btc])
            // A tick a second for ten seconds, then the feed freezes; pings are still answered.
            for second in 1...10 {
                await h.clock.advance(by: .seconds(1))
                h.exchange.emitTicker(btc, price: ExactDecimal(second))
                _ = try await ticks.next { $0.price == ExactDecimal(second) }
            }
            let waitedForStale = await h.advance(by: .seconds(5), upTo: .seconds(60)) {
                h.router.health().status == .degraded
            }
            #expect(
                waitedForStale > .seconds(20) && waitedForStale <= .seconds(40), "stale after 30 s: \(waitedForStale)")
            #expect(h.exchange.snapshot.connections[.public] == 1)
            let waited = await h.advance(by: .seconds(5), upTo: .seconds(300)) {
                h.exchange.snapshot.connections[.public] == 2
            }
            // Replaced within 1¼ tolerances (60 s, checked every 15 s) of the last data frame, plus
            // up to two checks on a busy machine, where a 5 s step of the test clock may pass before
            // the watchdog sleeps again.
            #expect(waitedForStale + waited <= .seconds(120), "replaced after \(waitedForStale + waited)")
            #expect(h.exchange.snapshot.pings >= 2, "the frozen feed answered pings all along")
            let lastError = h.router.health().channels.first { $0.channel == publicChannel }?.lastError ?? ""
            #expect(lastError.contains("pings answered but no data"), "\(lastError)")
        }
    }

    @Test func aQuietSubscriptionThatNeverFlowedIsNotReconnectedFor() async throws {
        let harness = RouterHarness(
            configuration: RouterConfiguration(debounce: .zero, gracePeriod: .zero, reconnect: Self.policy))
        try await harness.run { h in
            await h.exchange.waitForConnection(1)
            let quiet = try h.router.subscribe(to: .trade, markets: [xrp])
            await h.waitForUpstream([xrp])
            let waited = await h.advance(by: .seconds(5), upTo: .seconds(600)) { h.exchange.snapshot.pings >= 10 }
            #expect(waited >= .seconds(250))
            #expect(h.exchange.snapshot.connections[.public] == 1, "an illiquid market is not a stall")
            #expect(h.router.health().status == .healthy)
            withExtendedLifetime(quiet) {}
        }
    }

    @Test func theMessageRateFallsToZeroWhileDisconnected() async throws {
        let harness = RouterHarness(
            configuration: RouterConfiguration(debounce: .zero, gracePeriod: .zero, reconnect: Self.policy))
        try await harness.run { h in
            await h.exchange.waitForConnection(1)
            var ticks = try h.router.subscribe(to: .ticker, markets: [btc]).makeAsyncIterator()
            await h.waitForUpstream([btc])
            @Sendable func rate() -> Double {
                h.router.health().channels.first { $0.channel == publicChannel }?.messagesPerSecond ?? -1
            }
            var price = 0
            let measured = await h.advance(by: .milliseconds(100), upTo: .seconds(10)) {
                rate() > 0
            } onStep: {
                price += 1
                h.exchange.emitTicker(btc, price: ExactDecimal(price))
            }
            #expect(measured < .seconds(10) && rate() > 0, "a streaming channel has a rate")
            _ = try await ticks.next { $0.price == ExactDecimal(price) }
            h.exchange.dropConnection()
            _ = try await ticks.next { if case .connection = $0 { true } else { false } }
            let channel = try #require(h.router.health().channels.first { $0.channel == publicChannel })
            #expect(channel.state != .streaming)
            #expect(channel.messagesPerSecond == 0, "nothing arrives while disconnected")
        }
    }

    @Test func pingsKeepAQuietConnectionAlive() async throws {
        let harness = RouterHarness(
            configuration: RouterConfiguration(debounce: .zero, gracePeriod: .zero, reconnect: Self.policy))
        try await harness.run { h in
            await h.exchange.waitForConnection(1)
            // Ten keepalive intervals (25 s) of quiet; on a loaded machine a clock step can pass before
            // the keepalive sleeps again, so advance until ten pings went out rather than a fixed time.
            let waited = await h.advance(by: .seconds(5), upTo: .seconds(600)) { h.exchange.snapshot.pings >= 10 }
            #expect(h.exchange.snapshot.pings >= 10 && waited >= .seconds(250))
            #expect(h.exchange.snapshot.connections[.public] == 1, "a warm, quiet connection stays up")
        }
    }
}
