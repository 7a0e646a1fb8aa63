import Clocks
import MarketStreamCore
import MarketStreamRouting
import MarketStreamTesting
import Testing

/// `upstreamTopics(on:)` and `waitForUpstreamSync(on:)`: a program can tell when its changes have
/// gone out upstream.
@Suite(.timeLimit(.minutes(1))) struct UpstreamSyncWaitTests {
    let key = ChannelKey(exchange: "memory", channel: .public)

    @Test func theWaitEndsOnceTheDebouncedChangeHasBeenSent() async throws {
        let configuration = RouterConfiguration(debounce: .milliseconds(100), gracePeriod: .zero)
        try await RouterHarness(configuration: configuration).run { h in
            await h.exchange.waitForConnection(1)
            let ticks = try h.router.subscribe(to: .ticker, markets: [btc, eth])
            let waiter = Task { await h.router.waitForUpstreamSync(on: key) }
            #expect(h.router.upstreamTopics(on: key).isEmpty)  // still inside the debounce window
            #expect(h.router.desiredTopics(on: key) == [topic(btc), topic(eth)])
            _ = await h.advance(by: .milliseconds(20), upTo: .seconds(2)) { !h.exchange.snapshot.requests.isEmpty }
            await waiter.value
            #expect(h.router.upstreamTopics(on: key) == [topic(btc), topic(eth)])
            #expect(h.exchange.snapshot.requests.count == 1)

            ticks.cancel()
            let released = Task { await h.router.waitForUpstreamSync(on: key) }
            _ = await h.advance(by: .milliseconds(20), upTo: .seconds(2)) {
                h.exchange.snapshot.requests.count == 2 || h.exchange.snapshot.connections[.public] == 2
            }
            await released.value
            #expect(h.router.upstreamTopics(on: key).isEmpty)
        }
    }

    @Test func aWaitWhenAlreadyInStepReturnsAtOnceAndCancellationEndsAWait() async throws {
        let configuration = RouterConfiguration(debounce: .seconds(60), gracePeriod: .zero)
        try await RouterHarness(configuration: configuration).run { h in
            await h.exchange.waitForConnection(1)
            await h.router.waitForUpstreamSync(on: key)  // nothing wanted, nothing sent
            _ = try h.router.subscribe(to: .ticker, markets: [btc])
            let waiter = Task { await h.router.waitForUpstreamSync(on: key) }
            waiter.cancel()
            await waiter.value  // returns although the minute-long debounce has not passed
            #expect(h.router.upstreamTopics(on: key).isEmpty)
        }
    }
}
