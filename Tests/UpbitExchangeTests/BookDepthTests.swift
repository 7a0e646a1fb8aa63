import MarketStreamCore
import MarketStreamRouting
import MockExchange
import Testing
import UpbitExchange

/// Several depths of one market's book: Upbit is asked for one stream (the deepest depth wanted),
/// and each subscriber receives every update once, cut to its own depth.
@Suite(.timeLimit(.minutes(1))) struct BookDepthTests {
    @Test func eachSubscriberGetsItsOwnDepthOnceFromOneUpstreamBook() async throws {
        let audited = RouterConfiguration(
            debounce: .milliseconds(20), gracePeriod: .zero, subscriptionAuditInterval: .milliseconds(200))
        try await withUpbitAgainstMock(router: audited) { router, _, _ in
            let btc = try MarketCode("KRW-BTC")
            let kinds: [DataKind] = [.orderbook(depth: nil), .orderbook(depth: .fifteen), .orderbook(depth: .five)]
            let subscriptions = try kinds.map { try router.subscribe(to: $0, markets: [btc]) }
            let received = try await withThrowingTaskGroup(of: (DataKind, [MarketEvent]).self) { group in
                for (kind, subscription) in zip(kinds, subscriptions) {
                    group.addTask { (kind, try await subscription.first(12) { $0.stream == .realtime }) }
                }
                var received: [DataKind: [MarketEvent]] = [:]
                for try await (kind, events) in group { received[kind] = events }
                return received
            }
            for kind in kinds {
                let events = try #require(received[kind])
                #expect(events.allSatisfy { $0.kind == kind }, "\(kind) subscribers receive \(kind) events")
                let levels = events.compactMap { event -> Int? in
                    if case .orderbook(let book) = event.payload { return book.units.count }
                    return nil
                }
                #expect(levels.count == events.count)
                if let depth = kind.orderbookDepth {
                    #expect(levels.allSatisfy { $0 == depth.rawValue }, "\(kind): \(levels)")
                } else {
                    #expect(levels.allSatisfy { $0 > 15 }, "the default depth is the full book: \(levels)")
                }
                // Every update once: no two events with the same exchange timestamp.
                #expect(Set(events.map(\.timestamp)).count == events.count, "\(kind) got duplicates")
            }
            // The exchange lists one book per market; the audits (every 200 ms meanwhile) see no drift.
            let channel = router.health().channels.first { $0.channel.channel == .public }
            #expect(channel?.driftRepairs == 0)
            #expect(router.upstreamTopics(on: ChannelKey(exchange: "upbit", channel: .public)).count == 3)
        }
    }

    @Test func theRequestListsOneDepthPerMarketAndLevel() throws {
        let btc = try MarketCode("KRW-BTC")
        let eth = try MarketCode("KRW-ETH")
        func topic(_ kind: DataKind, _ market: MarketCode) -> SubscriptionTopic {
            SubscriptionTopic(exchange: "upbit", kind: kind, market: market)
        }
        let wanted: Set = [
            topic(.orderbook(depth: .five), btc), topic(.orderbook(depth: .fifteen), btc),
            topic(.orderbook(depth: .five), eth), topic(.orderbook(depth: nil), eth), topic(.ticker, btc),
            topic(.orderbook(depth: .one, level: 10_000), btc),
        ]
        #expect(
            UpbitRequestEncoder.requestedTopics(for: wanted) == [
                topic(.orderbook(depth: .fifteen), btc), topic(.orderbook(depth: nil), eth), topic(.ticker, btc),
                topic(.orderbook(depth: .one, level: 10_000), btc),
            ])
        let request = SubscriptionRequest(
            channel: .public, desired: wanted, added: wanted, removed: [], snapshots: [], sequence: 1)
        let text = try #require(try UpbitRequestEncoder(makeTicket: { "t" }).encode(request))
        #expect(text.contains(#""KRW-BTC.15""#) && !text.contains(#""KRW-BTC.5""#))
        #expect(text.contains(#""KRW-ETH""#) && !text.contains(#""KRW-ETH.5""#))
    }
}
