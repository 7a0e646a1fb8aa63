import Clocks
import MarketStreamCore
import MarketStreamRouting
import MarketStreamTesting
import Testing

/// Records what a ``FrameTap`` was given.
final class RecordingTap: FrameTap {
    struct Seen: Sendable {
        var bytes: [UInt8]
        var markets: [MarketCode]
        var generation: ConnectionGeneration
    }

    let seen = MutexBox<[Seen]>([])
    /// The connection's life, in order: `opened 1`, `sent …`, `closed 1: …`.
    let lifecycle = MutexBox<[String]>([])

    func frameReceived(_ frame: WebSocketMessage, events: [MarketEvent], context: DecodeContext) {
        let bytes = frame.withUnsafeBytes { Array($0) }
        seen.withLock { $0.append(Seen(bytes: bytes, markets: events.map(\.market), generation: context.generation)) }
    }

    func connectionOpened(context: DecodeContext) {
        lifecycle.withLock { $0.append("opened \(context.generation)") }
    }

    func messageSent(_ message: OutboundMessage, context: DecodeContext) {
        lifecycle.withLock { $0.append("sent on \(context.generation)") }
    }

    func connectionClosed(reason: String, context: DecodeContext) {
        lifecycle.withLock { $0.append("closed \(context.generation): \(reason)") }
    }
}

@Suite(.timeLimit(.minutes(1))) struct FrameTapTests {
    @Test func theTapSeesEveryDecodedFrameAsReceivedWithItsGeneration() async throws {
        let tap = RecordingTap()
        let harness = RouterHarness(frameTap: tap)
        try await harness.run { h in
            var tickers = try h.router.subscribe(to: .ticker, markets: [btc]).makeAsyncIterator()
            await h.waitForUpstream([btc])
            #expect(h.exchange.emitTicker(btc, price: 7))
            var event = try #require(try await tickers.nextMarketEvent())
            while FeedEvent.market(event).price != 7 { event = try #require(try await tickers.nextMarketEvent()) }
            let seen = tap.seen.withLock { $0 }
            let frame = try #require(seen.last)
            #expect(frame.markets == [btc])
            #expect(frame.generation == event.generation)
            #expect(!frame.bytes.isEmpty)
            // The exact bytes: decoding them again gives the same event.
            var decoded = DecodedFrame()
            try h.exchange.decode(
                .binary(frame.bytes),
                context: DecodeContext(
                    exchange: event.exchange, channel: .public, generation: event.generation,
                    receivedAt: event.receivedAt),
                into: &decoded)
            #expect(decoded.events.first.map { FeedEvent.market($0).price } == 7)
        }
    }

    @Test func theTapSeesEachConnectionOpenWhatWasSentOnItAndWhyItClosed() async throws {
        let tap = RecordingTap()
        let harness = RouterHarness(
            configuration: RouterConfiguration(
                debounce: .zero, gracePeriod: .zero,
                reconnect: ReconnectPolicy(initialDelay: .milliseconds(250), multiplier: 2, jitter: 0)),
            frameTap: tap)
        try await harness.run { h in
            var tickers = try h.router.subscribe(to: .ticker, markets: [btc]).makeAsyncIterator()
            await h.waitForUpstream([btc])
            // A frame that does not decode is shown too (with no events), as received.
            h.exchange.sendRawFrame(.text("not a frame"))
            #expect(h.exchange.emitTicker(btc, price: 1))
            while FeedEvent.market(try #require(try await tickers.nextMarketEvent())).price != 1 {}
            #expect(tap.seen.withLock { $0.contains { $0.bytes == Array("not a frame".utf8) && $0.markets.isEmpty } })

            h.exchange.dropConnection()
            // Through the 250 ms backoff, in steps (however late the router starts backing off).
            _ = await h.advance(by: .milliseconds(50), upTo: .seconds(5)) {
                tap.lifecycle.withLock { $0.contains("opened 2") }
            }
            await h.waitForUpstream([btc])
            #expect(h.exchange.emitTicker(btc, price: 2))
            while FeedEvent.market(try #require(try await tickers.nextMarketEvent())).price != 2 {}
            let lifecycle = tap.lifecycle.withLock { $0 }
            #expect(lifecycle.count == 5, "\(lifecycle)")
            #expect(lifecycle.first == "opened 1")
            #expect(lifecycle.dropFirst().first == "sent on 1")
            #expect(lifecycle.dropFirst(2).first?.hasPrefix("closed 1: ") == true)
            #expect(lifecycle.dropFirst(2).first?.contains("connection reset by peer") == true, "\(lifecycle)")
            #expect(Array(lifecycle.suffix(2)) == ["opened 2", "sent on 2"])
        }
    }

    @Test func severalTapsAreEachShownEverything() async throws {
        let first = RecordingTap()
        let second = RecordingTap()
        let harness = RouterHarness(frameTap: FrameTaps([first, second]))
        try await harness.run { h in
            var tickers = try h.router.subscribe(to: .ticker, markets: [btc]).makeAsyncIterator()
            await h.waitForUpstream([btc])
            #expect(h.exchange.emitTicker(btc, price: 3))
            while FeedEvent.market(try #require(try await tickers.nextMarketEvent())).price != 3 {}
            for tap in [first, second] {
                #expect(tap.seen.withLock { $0.count } >= 1)
                #expect(Array(tap.lifecycle.withLock { $0 }.prefix(2)) == ["opened 1", "sent on 1"])
            }
        }
    }

    @Test func aConnectionEventsOnlySubscriptionHoldsTheTopicUpstreamAndGetsNoMarketEvents() async throws {
        let harness = RouterHarness(
            configuration: RouterConfiguration(
                debounce: .zero, gracePeriod: .zero,
                reconnect: ReconnectPolicy(initialDelay: .milliseconds(250), multiplier: 2, jitter: 0)))
        try await harness.run { h in
            let held = try h.router.subscribe(to: .ticker, markets: [btc], policy: .connectionEventsOnly)
            var iterator = held.makeAsyncIterator()
            await h.waitForUpstream([btc])
            for price in 1...5 { #expect(h.exchange.emitTicker(btc, price: ExactDecimal(price))) }
            h.exchange.dropConnection()
            let first = try await iterator.next()
            guard case .connection(let event)? = first, case .reconnecting = event.kind else {
                Issue.record("expected the reconnect first (no market event), got \(String(describing: first))")
                return
            }
            #expect(held.droppedCount == 0, "nothing is buffered, so nothing is dropped")
            await h.clock.advance(by: .milliseconds(250))
            await h.waitForUpstream([btc])
            held.cancel()
            await h.waitForUpstream([])
        }
    }
}
