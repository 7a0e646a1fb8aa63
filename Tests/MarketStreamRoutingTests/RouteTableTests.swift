import HashTreeCollections
import MarketStreamCore
import Testing

@testable import MarketStreamRouting

/// A channel's route table: updated topic by topic, books reachable by one lookup, deepest first,
/// activity counters kept across updates.
@Suite struct RouteTableTests {
    func buffer(_ id: UInt64) -> SubscriberBuffer {
        SubscriberBuffer(
            id: SubscriberID(id), channel: publicChannel, policy: .dropOldest, capacity: 4, dropCounter: nil,
            onTermination: { _ in })
    }

    func book(_ depth: OrderbookDepth?, _ market: MarketCode = btc) -> SubscriptionTopic {
        topic(market, .orderbook(depth: depth))
    }

    @Test func anUpdateRecomputesOnlyTheChangedTopics() {
        let (a, b) = (buffer(1), buffer(2))
        var counters: [FreshnessKey: TopicActivityCounter] = [:]
        let desired: Set = [topic(btc), topic(eth)]
        let first = RouteTable.empty.updating(
            [topic(btc), topic(eth)], buffers: [topic(btc): [a], topic(eth): [b]], feeds: [:],
            isDesired: desired.contains, counters: &counters)
        #expect(first.routes[topic(btc)]?.buffers.map(\.id) == [a.id])
        let btcCounter = first.routes[topic(btc)]?.activity
        #expect(btcCounter != nil && counters.count == 2)

        // Only ETH changed (its subscriber left and the key is no longer wanted): BTC is carried over.
        let second = first.updating(
            [topic(eth)], buffers: [topic(btc): [a]], feeds: [:], isDesired: { $0 == topic(btc) },
            counters: &counters)
        #expect(second.routes[topic(eth)] == nil)
        #expect(second.routes[topic(btc)]?.buffers.map(\.id) == [a.id])
        #expect(second.routes[topic(btc)]?.activity === btcCounter, "the counter survives the update")
        #expect(first.routes[topic(eth)] != nil, "a published table never changes")
    }

    @Test func aBookKeyListsItsDepthsDeepestFirstWithOneActivityCounter() {
        let (full, fifteen, five) = (buffer(1), buffer(2), buffer(3))
        var counters: [FreshnessKey: TopicActivityCounter] = [:]
        let wanted: Set = [book(nil), book(.fifteen), book(.five)]
        let table = RouteTable.empty.updating(
            [book(.five), book(nil), book(.fifteen)],
            buffers: [book(nil): [full], book(.fifteen): [fifteen], book(.five): [five]], feeds: [:],
            isDesired: wanted.contains, counters: &counters)
        let entry = table.books[RouteTable.BookKey(market: btc, level: nil)]
        #expect(entry?.depths.map(\.depth) == [nil, .fifteen, .five])
        #expect(entry?.activity != nil && counters.count == 1, "one key for every depth of a market's book")

        // The 15-level subscriber leaves: the key keeps its other depths and its counter.
        let counter = entry?.activity
        let after = table.updating(
            [book(.fifteen)], buffers: [book(nil): [full], book(.five): [five]], feeds: [:],
            isDesired: { $0 != book(.fifteen) && wanted.contains($0) }, counters: &counters)
        let remaining = after.books[RouteTable.BookKey(market: btc, level: nil)]
        #expect(remaining?.depths.map(\.depth) == [nil, .five])
        #expect(remaining?.activity === counter)
    }
}
