import Clocks
import MarketStreamCore
import MarketStreamRouting
import MarketStreamTesting
import Testing

@Suite(.timeLimit(.minutes(1))) struct BatchingTests {
    @Test func aThousandChangesInOneWindowBecomeOneUpstreamMessage() async throws {
        let harness = RouterHarness(
            configuration: RouterConfiguration(debounce: .milliseconds(100), gracePeriod: .zero))
        try await harness.run { h in
            await h.exchange.waitForConnection(1)
            let pool = markets(600)
            var kept: [Subscription] = []
            // 1 000 changes: 600 subscriptions, 400 of them released again, all within one window.
            for (index, market) in pool.enumerated() {
                let subscription = try h.router.subscribe(to: .ticker, markets: [market])
                if index < 400 { subscription.cancel() } else { kept.append(subscription) }
            }
            let waited = await h.advance(by: .milliseconds(10), upTo: .seconds(2)) {
                !h.exchange.snapshot.requests.isEmpty
            }
            #expect(waited >= .milliseconds(100), "the flush waited for the debounce window")
            // Let plenty of time pass: nothing else may be sent.
            _ = await h.advance(by: .milliseconds(500), upTo: .seconds(10)) { false }
            let requests = h.exchange.snapshot.requests
            #expect(requests.count == 1)
            #expect(requests.first?.liveAfter.count == 200)
            #expect(Set(requests.first?.liveAfter.map(\.market) ?? []) == Set(pool[400...]))
            withExtendedLifetime(kept) {}
        }
    }

    @Test func sustainedChurnNeverExceedsFivePerSecondNorAHundredPerMinute() async throws {
        let harness = RouterHarness(configuration: RouterConfiguration(debounce: .milliseconds(20), gracePeriod: .zero))
        try await harness.run { h in
            await h.exchange.waitForConnection(1)
            let pool = markets(40)
            var live: [Int: Subscription] = [:]
            // A change every 50 ms for 90 simulated seconds.
            for step in 0..<1_800 {
                let index = (step * 7) % pool.count
                if let subscription = live.removeValue(forKey: index) {
                    subscription.cancel()
                } else {
                    live[index] = try h.router.subscribe(to: .ticker, markets: [pool[index]])
                }
                await h.clock.advance(by: .milliseconds(50))
            }
            let requests = h.exchange.snapshot.requests
            #expect(requests.count > 100, "churn kept the scheduler busy past the per-minute budget")
            // Upbit's message budget is per connection (PROTOCOL §7).
            for connection in Set(requests.map(\.connection)) {
                let times = requests.filter { $0.connection == connection }.map(\.receivedAt)
                for (index, time) in times.enumerated() {
                    #expect(times[index...].prefix { $0 < time + .seconds(1) }.count <= 5)
                    #expect(times[index...].prefix { $0 < time + .seconds(60) }.count <= 100)
                }
            }
            for (previous, next) in zip(requests, requests.dropFirst()) where next.request.snapshotTopics.isEmpty {
                #expect(previous.liveAfter != next.liveAfter, "no flush repeats an unchanged set")
            }
            withExtendedLifetime(live) {}
        }
    }

    @Test func aReleasedMarketLingersForTheGracePeriod() async throws {
        let harness = RouterHarness(configuration: RouterConfiguration(debounce: .zero, gracePeriod: .seconds(2)))
        try await harness.run { h in
            await h.exchange.waitForConnection(1)
            let first = try h.router.subscribe(to: .ticker, markets: [btc])
            await h.waitForUpstream([btc])
            first.cancel()
            // A chart switching views re-subscribes at once: no upstream churn.
            let second = try h.router.subscribe(to: .ticker, markets: [btc])
            _ = await h.advance(by: .milliseconds(500), upTo: .seconds(5)) { false }
            #expect(h.exchange.snapshot.requests.count == 1)
            second.cancel()
            let waited = await h.advance(by: .milliseconds(100), upTo: .seconds(5)) { h.upstream == [] }
            #expect(waited >= .seconds(2) && waited <= .milliseconds(2_200))
            #expect(h.router.desiredTopics(on: publicChannel).isEmpty)
        }
    }

    @Test func incrementalExchangesGetOnlyTheDifference() async throws {
        let harness = RouterHarness(style: .incremental)
        try await harness.run { h in
            await h.exchange.waitForConnection(1)
            let a = try h.router.subscribe(to: .ticker, markets: [btc, eth])
            await h.waitForUpstream([btc, eth])
            let b = try h.router.subscribe(to: .trade, markets: [btc])
            await h.exchange.waitForRequests(2)
            a.cancel()
            await h.exchange.waitUntil { $0.live[.public]?.map(\.kind) == [.trade] }
            let verbs = h.exchange.snapshot.requests.map(\.request.verb)
            #expect(verbs == ["SUBSCRIBE", "SUBSCRIBE", "UNSUBSCRIBE"])
            #expect(
                h.exchange.snapshot.requests[1].request.topics.keys.map(\.kind) == [.trade],
                "only the new topic is sent")
            withExtendedLifetime(b) {}
        }
    }
}
