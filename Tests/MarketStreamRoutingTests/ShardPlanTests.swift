import MarketStreamCore
import PropertyBased
import Testing

@testable import MarketStreamRouting

@Suite struct ShardPlanTests {
    private static func topics(_ markets: [String], kinds: [DataKind] = [.ticker, .trade]) -> Set<SubscriptionTopic> {
        Set(
            markets.flatMap { market in
                kinds.map { SubscriptionTopic(exchange: "x", kind: $0, market: MarketCode(validated: market)) }
            })
    }

    private static func loads(_ plan: ShardPlan, _ desired: Set<SubscriptionTopic>) -> [Int] {
        (0..<plan.shardCount).map { plan.topics(desired, on: $0).count }
    }

    @Test func withoutALimitEverythingIsShardZero() {
        var plan = ShardPlan(capacity: nil)
        let desired = Self.topics((0..<600).map { "KRW-C\($0)" })
        #expect(!plan.update(desired: desired) { $0.count })
        #expect(plan.shardCount == 1 && plan.topics(desired, on: 0) == desired && plan.topics(desired, on: 1).isEmpty)
    }

    @Test func aSetPastOneConnectionIsSpreadEvenlyAndEveryShardFits() {
        var plan = ShardPlan(capacity: 8)
        let desired = Self.topics(["KRW-A", "KRW-B", "KRW-C", "KRW-D", "KRW-E", "KRW-F"])
        #expect(plan.update(desired: desired) { $0.count })
        #expect(plan.shardCount == 2)
        let counts = Self.loads(plan, desired)
        #expect(counts.reduce(0, +) == 12 && counts.allSatisfy { $0 <= 8 } && counts.max()! - counts.min()! <= 2)
        // A market's topics share a shard.
        for market in ["KRW-A", "KRW-B", "KRW-C", "KRW-D", "KRW-E", "KRW-F"] {
            let code = MarketCode(validated: market)
            #expect(
                desired.filter { $0.market == code }.allSatisfy { plan.shard(of: $0.market) == plan.shard(of: code) })
        }
        #expect(!plan.update(desired: desired) { $0.count }, "the same set changes nothing")
    }

    @Test func marketsKeepTheirShardAndNewOnesGoWhereThereIsLeastLoad() {
        var plan = ShardPlan(capacity: 4)
        var desired = Self.topics(["KRW-A", "KRW-B", "KRW-C", "KRW-D", "KRW-E"])
        plan.update(desired: desired) { $0.count }
        plan.place(desired)
        #expect(plan.shardCount == 3 && Self.loads(plan, desired).sorted() == [2, 4, 4])
        let before = plan.assignment
        // One market leaves: the others stay where they are.
        let leaving = MarketCode(validated: "KRW-A")
        desired = desired.filter { $0.market != leaving }
        plan.update(desired: desired) { $0.count }
        #expect(plan.assignment == before.filter { $0.key != leaving } && plan.shardCount == 3)
        // A new market goes to the least loaded shard with room, without opening one.
        let emptiest = (0..<3).min { Self.loads(plan, desired)[$0] < Self.loads(plan, desired)[$1] }!
        desired.formUnion(Self.topics(["KRW-G"]))
        plan.update(desired: desired) { $0.count }
        #expect(plan.shard(of: MarketCode(validated: "KRW-G")) == emptiest && plan.shardCount == 3)
    }

    @Test func marketsWhoseTopicsOutgrowTheirShardMove() {
        var plan = ShardPlan(capacity: 4)
        let markets = ["KRW-A", "KRW-B", "KRW-C", "KRW-D"]
        let trades = Self.topics(markets, kinds: [.trade])
        plan.update(desired: trades) { $0.count }
        plan.place(trades)
        #expect(plan.shardCount == 1 && Self.loads(plan, trades) == [4])
        // Tickers too: every market now takes two streams, eight in all.
        let both = Self.topics(markets)
        #expect(plan.update(desired: both) { $0.count })
        #expect(plan.shardCount == 2 && Self.loads(plan, both) == [4, 4])
        // The read path's map follows: a moved market is carried by its new shard only.
        let map = plan.map
        #expect(map.isSharded && ShardMap.unsharded.shardCount == 1)
        for market in markets.map(MarketCode.init(validated:)) {
            #expect(map.shard(of: market) == plan.shard(of: market))
        }
        #expect(Set(markets.map { map.shard(of: MarketCode(validated: $0)) }) == [0, 1])
    }

    /// A burst (trades, then tickers, before either went upstream) is planned as the whole set
    /// at once; once placed, a market keeps its shard, even while its connection is down.
    @Test func marketsNotYetPlacedArePlannedAsIfTheyCameAtOnce() {
        let markets = ["KRW-A", "KRW-B", "KRW-C", "KRW-D", "KRW-E"]
        let trades = Self.topics(markets, kinds: [.trade])
        let both = Self.topics(markets)
        var atOnce = ShardPlan(capacity: 4)
        atOnce.update(desired: both) { $0.count }
        #expect(atOnce.shardCount == 3)

        var inSteps = ShardPlan(capacity: 4)
        inSteps.update(desired: trades) { $0.count }
        #expect(inSteps.shardCount == 2)
        inSteps.update(desired: both) { $0.count }
        #expect(inSteps == atOnce, "the same plan, however the burst arrived")

        // Had the trades gone upstream first, they would have kept their shards.
        var placedFirst = ShardPlan(capacity: 4)
        placedFirst.update(desired: trades) { $0.count }
        placedFirst.place(trades)
        placedFirst.update(desired: both) { $0.count }
        #expect(placedFirst.assignment != atOnce.assignment)

        // Placed markets stay where they are; a shard left with none placed is given up.
        var plan = atOnce
        plan.place(both)
        let kept = Set(markets.map(MarketCode.init(validated:)).filter { atOnce.shard(of: $0) == 0 })
        plan.update(desired: both.filter { kept.contains($0.market) }) { $0.count }
        #expect(plan.shardCount == 1 && kept.allSatisfy { plan.shard(of: $0) == 0 })
        plan.update(desired: both) { $0.count }
        #expect(kept.allSatisfy { plan.shard(of: $0) == 0 })
    }

    /// Whatever the order of changes, every shard stays within its capacity (when no single market
    /// exceeds it), every desired topic is on exactly one shard, and a shard is opened only when
    /// none has room (shards emptied by departures take new markets before another opens).
    @Test func anySequenceOfChangesKeepsEveryShardWithinItsCapacity() async {
        // Each operation names one of 40 markets (operation % 40) and toggles it wanted, or, one
        // time in four, toggles its book (its set grows or shrinks).
        await propertyCheck(count: 50, input: Gen.int(in: 0...9_999).array(of: 50...300)) { operations in
            Self.check(operations)
        }
    }

    static func check(_ operations: [Int]) {
        let universe = (0..<40).map { "KRW-M\($0)" }
        var plan = ShardPlan(capacity: 10)
        var wanted: Set<String> = []
        var withBooks: Set<String> = []
        var peak = 0
        for operation in operations {
            let market = universe[operation % universe.count]
            if operation / universe.count % 4 == 0 {
                if withBooks.contains(market) { withBooks.remove(market) } else { withBooks.insert(market) }
            } else if wanted.contains(market) {
                wanted.remove(market)
            } else {
                wanted.insert(market)
            }
            peak = max(peak, wanted.count)
            let desired = Self.topics(Array(wanted), kinds: [.ticker, .trade])
                .union(Self.topics(Array(wanted.intersection(withBooks)), kinds: [.orderbook]))
            plan.update(desired: desired) { $0.count }
            // Most changes go upstream before the next; some join the next one's request.
            if operation % 3 != 0 { plan.place(desired) }
            let counts = Self.loads(plan, desired)
            #expect(counts.allSatisfy { $0 <= 10 })
            #expect(counts.reduce(0, +) == desired.count)
            // At least three markets of at most three streams fit a shard of ten.
            #expect(plan.shardCount <= (peak + 2) / 3 + 1)
        }
    }
}
