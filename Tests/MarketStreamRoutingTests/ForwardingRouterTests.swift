import MarketStreamCore
import MarketStreamRouting
import MarketStreamTesting
import Testing

/// Hands the test what a tap is shown, in order: frames passed on undecoded with their topic, and
/// decoded frames with their events' markets.
final class ForwardingTap: FrameTap {
    enum Seen: Sendable, Equatable {
        case forwarded(SubscriptionTopic, String)
        case received([MarketCode], String)
    }

    let stream: AsyncStream<Seen>
    private let continuation: AsyncStream<Seen>.Continuation

    init() { (stream, continuation) = AsyncStream.makeStream(of: Seen.self) }

    func frameReceived(_ frame: WebSocketMessage, events: [MarketEvent], context: DecodeContext) {
        continuation.yield(
            .received(events.map(\.market), frame.withUnsafeBytes { String(decoding: $0, as: UTF8.self) }))
    }

    func frameForwarded(_ frame: WebSocketMessage, topic: SubscriptionTopic, context: DecodeContext) {
        continuation.yield(.forwarded(topic, frame.withUnsafeBytes { String(decoding: $0, as: UTF8.self) }))
    }
}

extension AsyncStream<ForwardingTap.Seen>.Iterator {
    /// The next frame passed on undecoded, skipping decoded ones (the exchange's status frames).
    mutating func nextForwarded() async -> (topic: SubscriptionTopic, text: String)? {
        while let seen = await next() {
            if case .forwarded(let topic, let text) = seen { return (topic, text) }
        }
        return nil
    }
}

/// A router that forwards frames only (a gateway's, a recorder's): tickers and trades reach its
/// tap by their topic, undecoded, and everything else is decoded as on any router.
@Suite(.timeLimit(.minutes(1))) struct ForwardingRouterTests {
    static let forwarding = RouterConfiguration(debounce: .zero, gracePeriod: .zero, forwardsFramesOnly: true)

    @Test func tickersReachTheTapUndecodedAndControlFramesAreDecoded() async throws {
        let tap = ForwardingTap()
        let harness = RouterHarness(configuration: Self.forwarding, frameTap: tap, tellsForwardedTopics: true)
        try await harness.run { h in
            var seen = tap.stream.makeAsyncIterator()
            let held = try h.router.subscribe(to: .ticker, markets: [btc])
            await h.waitForUpstream([btc])
            // The subscription's snapshot, then a live tick: each passed on by its topic.
            let snapshot = try #require(await seen.nextForwarded())
            #expect(snapshot.topic == topic(btc) && snapshot.text.hasPrefix("E|snapshot|ticker|KRW-BTC|"))
            let decoded = h.exchange.decodedFrames
            #expect(h.exchange.emitTicker(btc, price: 7))
            let tick = try #require(await seen.nextForwarded())
            #expect(tick.topic == topic(btc) && tick.text.hasPrefix("E|realtime|ticker|KRW-BTC|"))
            #expect(tick.text.split(separator: "|").dropFirst(5).first == "7")
            #expect(h.exchange.decodedFrames == decoded, "a forwarded frame is not decoded")

            // A status frame and a malformed one are decoded, and the malformed one counted.
            h.exchange.sendRawFrame(.text("S|up"))
            #expect(await seen.next() == .received([], "S|up"))
            h.exchange.sendRawFrame(.text("E|realtime|ticker"))
            #expect(await seen.next() == .received([], "E|realtime|ticker"))
            #expect(h.exchange.decodedFrames == decoded + 2)
            let channel = try #require(h.router.health().channels.first { $0.channel == publicChannel })
            #expect(channel.malformedFrames == 1)
            #expect(channel.messagesReceived >= 4)
            held.cancel()
        }
    }

    @Test func framesOfAModuleThatCannotTellTheirTopicAreDecoded() async throws {
        let tap = ForwardingTap()
        let harness = RouterHarness(configuration: Self.forwarding, frameTap: tap)
        try await harness.run { h in
            var seen = tap.stream.makeAsyncIterator()
            let held = try h.router.subscribe(to: .ticker, markets: [btc])
            await h.waitForUpstream([btc])
            #expect(h.exchange.emitTicker(btc, price: 7))
            var tick: String?
            while let next = await seen.next() {
                guard case .received(let markets, let text) = next else {
                    Issue.record("passed on undecoded: \(next)")
                    break
                }
                if markets == [btc], text.hasPrefix("E|realtime|") {
                    tick = text
                    break
                }
            }
            #expect(tick != nil)
            #expect(h.exchange.decodedFrames >= 2)
            held.cancel()
        }
    }

    @Test func itsSubscriptionsTakeConnectionEventsOnlyAndItTakesNoSnapshotRequests() async throws {
        let harness = RouterHarness(configuration: Self.forwarding, tellsForwardedTopics: true)
        try await harness.run { h in
            for policy in [DeliveryPolicy.dropOldest, .lossless, .coalesceByKey] {
                do throws(MarketStreamError) {
                    _ = try h.router.subscribe(to: .ticker, markets: [btc], policy: policy)
                    Issue.record("\(policy) was accepted")
                } catch {
                    #expect(error.code == .invalidArgument)
                    #expect(error.description.contains("forwards frames only"))
                }
            }
            do {
                _ = try await h.router.snapshot(of: .ticker, markets: [btc])
                Issue.record("a snapshot request was accepted")
            } catch let error as MarketStreamError {
                #expect(error.code == .invalidArgument)
            }
            // Without a policy, and with connection events only, a subscription holds the topic upstream.
            let held = try h.router.subscribe(to: .ticker, markets: [btc])
            let explicit = try h.router.subscribe(to: .trade, markets: [eth], policy: .connectionEventsOnly)
            await h.waitForUpstream([btc, eth])
            held.cancel()
            explicit.cancel()
            await h.waitForUpstream([])
        }
    }

    @Test func forwardedFramesKeepTheirTopicsFreshnessInHealth() async throws {
        let tap = ForwardingTap()
        let wall = MutexBox(Int64(0))
        let harness = RouterHarness(
            configuration: RouterConfiguration(
                debounce: .zero, gracePeriod: .zero,
                freshness: FreshnessPolicy(minimumSilence: .seconds(30), intervalMultiple: 20), forwardsFramesOnly: true
            ),
            wallClock: { UnixTime(nanoseconds: wall.withLock { $0 }) }, frameTap: tap, tellsForwardedTopics: true)
        try await harness.run { h in
            var seen = tap.stream.makeAsyncIterator()
            let held = try h.router.subscribe(to: .ticker, markets: [btc, eth])
            await h.waitForUpstream([btc, eth])
            // Both snapshots first, stamped at 0.
            var snapshots: Set<SubscriptionTopic> = []
            while snapshots.count < 2 { snapshots.insert(try #require(await seen.nextForwarded()).topic) }
            // Both keys tick once a second for ten seconds, then only ETH for 50 more.
            for second in 1...60 {
                wall.withLock { $0 = Int64(second) * 1_000_000_000 }
                if second <= 10 {
                    #expect(h.exchange.emitTicker(btc, price: ExactDecimal(second)))
                    #expect(try #require(await seen.nextForwarded()).topic == topic(btc))
                }
                #expect(h.exchange.emitTicker(eth, price: ExactDecimal(second)))
                #expect(try #require(await seen.nextForwarded()).topic == topic(eth))
                if second == 10 { #expect(h.router.health().channels.allSatisfy { $0.staleTopics.isEmpty }) }
            }
            let channel = try #require(h.router.health().channels.first { $0.channel == publicChannel })
            #expect(channel.staleTopics.map(\.topic) == [topic(btc)])
            let stale = try #require(channel.staleTopics.first)
            #expect(stale.silentFor == .seconds(50) && stale.usualInterval == .seconds(1) && stale.events >= 10)
            held.cancel()
        }
    }
}
