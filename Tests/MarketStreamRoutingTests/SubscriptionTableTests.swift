import MarketStreamCore
import Testing

@testable import MarketStreamRouting

@Suite struct SubscriptionTableTests {
    let a = SubscriberID(1)
    let b = SubscriberID(2)

    @Test func countsReferencesPerTopic() {
        var table = SubscriptionTable()
        let first = table.add(a, to: [topic(btc)], on: publicChannel)
        let second = table.add(b, to: [topic(btc)], on: publicChannel)
        #expect(first && !second, "only the first subscriber grows the upstream set")
        #expect(table.subscriberCount(of: topic(btc), on: publicChannel) == 2)
        let shrankAfterOne = table.remove(a, from: [topic(btc)], on: publicChannel, now: .zero, grace: .zero)
        #expect(!shrankAfterOne)
        #expect(table.desired(for: publicChannel) == [topic(btc)])
        let shrankAfterBoth = table.remove(b, from: [topic(btc)], on: publicChannel, now: .zero, grace: .zero)
        #expect(shrankAfterBoth)
        #expect(table.desired(for: publicChannel).isEmpty && table.isEmpty)
    }

    @Test func aReleasedTopicLingersForTheGracePeriod() {
        var table = SubscriptionTable()
        _ = table.add(a, to: [topic(btc), topic(eth)], on: publicChannel)
        let shrank = table.remove(a, from: [topic(btc)], on: publicChannel, now: .seconds(10), grace: .seconds(2))
        #expect(!shrank)
        #expect(table.desired(for: publicChannel) == [topic(btc), topic(eth)])
        #expect(table.nextExpiry(for: publicChannel) == .seconds(12))
        let early = table.expireLingering(on: publicChannel, now: .seconds(11))
        #expect(early.isEmpty)
        let other = table.expireLingering(on: privateChannel, now: .seconds(12))
        #expect(other.isEmpty, "another channel's expiry leaves this channel's topics alone")
        #expect(table.desired(for: publicChannel) == [topic(btc), topic(eth)])
        let due = table.expireLingering(on: publicChannel, now: .seconds(12))
        #expect(due == [topic(btc)])
        #expect(table.desired(for: publicChannel) == [topic(eth)])
        #expect(table.nextExpiry(for: publicChannel) == nil)
    }

    @Test func reSubscribingDuringTheGracePeriodCausesNoChurn() {
        var table = SubscriptionTable()
        _ = table.add(a, to: [topic(btc)], on: publicChannel)
        _ = table.remove(a, from: [topic(btc)], on: publicChannel, now: .zero, grace: .seconds(2))
        let grew = table.add(b, to: [topic(btc)], on: publicChannel)
        #expect(!grew, "a lingering topic is still upstream")
        let expired = table.expireLingering(on: publicChannel, now: .seconds(5))
        #expect(expired.isEmpty)
        #expect(table.desired(for: publicChannel) == [topic(btc)])
    }

    @Test func removingAnUnknownSubscriberChangesNothing() {
        var table = SubscriptionTable()
        _ = table.add(a, to: [topic(btc)], on: publicChannel)
        let shrank = table.remove(b, from: [topic(btc), topic(eth)], on: publicChannel, now: .zero, grace: .zero)
        #expect(!shrank)
        #expect(table.desired(for: publicChannel) == [topic(btc)])
        #expect(Array(table.activeChannels) == [publicChannel])
    }
}
