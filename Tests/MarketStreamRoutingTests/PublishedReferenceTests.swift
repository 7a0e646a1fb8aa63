import MarketStreamCore
import Testing

@testable import MarketStreamRouting

/// The read path's copy of a published value: kept while nothing newer is published, replaced at
/// the first read after a publication, never the placeholder it was made with.
@Suite struct PublishedReferenceTests {
    private static func map(shards: Int) -> ShardMap {
        ShardMap(assignment: [MarketCode(validated: "KRW-BTC"): shards - 1], shardCount: shards)
    }

    @Test func aReaderKeepsItsCopyUntilANewValueIsPublishedThenTakesIt() {
        let first = Self.map(shards: 2)
        let published = PublishedReference(first)
        var cache = PublishedReference<ShardMap>.Cache(placeholder: .unsharded)
        #expect(published.value(reusing: &cache) === first, "the first read loads, not the placeholder")
        #expect(published.value(reusing: &cache) === first)

        let second = Self.map(shards: 3)
        published.publish(second)
        #expect(published.value(reusing: &cache) === second, "a read after publish() returned sees the new value")
        #expect(published.value === second)

        // Two readers, each with its own copy, both move on at their next read.
        var other = PublishedReference<ShardMap>.Cache(placeholder: .unsharded)
        #expect(published.value(reusing: &other) === second)
        let third = Self.map(shards: 4)
        published.publish(third)
        #expect(published.value(reusing: &cache) === third)
        #expect(published.value(reusing: &other) === third)
    }
}
