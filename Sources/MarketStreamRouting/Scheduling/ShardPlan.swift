import MarketStreamCore

/// Which connection (shard) of a channel carries each market, where the venue limits the streams
/// one connection may carry (``ExchangeChannel/streamsPerConnection``). A value with no I/O.
///
/// All of a market's topics share a shard (a venue may serve several of them from one stream).
/// A market placed upstream (asked for in a request, even on a connection that has since dropped)
/// keeps its shard while it is wanted and fits; a new one (or one whose topics outgrew its
/// shard's room) goes to the shard with the fewest streams that has room. When the set outgrows
/// its shards, one more is opened and markets move to it from the fullest until the shards are
/// balanced (the moved markets' streams are unsubscribed on one connection and subscribed on the
/// other). Shards are numbered from 0 and never renumbered; one left with no market closes its
/// connection until it is needed again.
///
/// Markets not yet placed (wanted since the last request went out) are planned afresh whenever
/// the set changes, from the shards that carry a placed market: a burst of subscriptions gets the
/// plan it would get all at once, whatever order and however many steps it arrived in, so a
/// replay of a recording plans as the recording did.
struct ShardPlan: Sendable, Equatable {
    /// Streams per connection; `nil` for a venue without a limit (everything on shard 0).
    let capacity: Int?
    /// The shard of every market assigned.
    private(set) var assignment: [MarketCode: Int] = [:]
    /// Shards opened so far (at least one).
    private(set) var shardCount = 1
    /// Markets asked for upstream on their shard: they keep it.
    private(set) var placed: Set<MarketCode> = []
    /// The set last planned.
    private var planned: Set<SubscriptionTopic> = []

    init(capacity: Int?) {
        self.capacity = capacity
    }

    /// The shard that carries `market` (shard 0 for a market not assigned).
    func shard(of market: MarketCode) -> Int { assignment[market] ?? 0 }

    /// The topics of `topics` that shard `index` carries.
    func topics(_ topics: Set<SubscriptionTopic>, on index: Int) -> Set<SubscriptionTopic> {
        guard shardCount > 1 else { return index == 0 ? topics : [] }
        return topics.filter { shard(of: $0.market) == index }
    }

    /// Brings the plan up to date with `desired`: placed markets keep their shard, the others are
    /// planned afresh.
    /// - Parameter streams: How many streams a set of topics takes (the module's count).
    /// - Returns: Whether any market's shard changed or the number of shards did.
    @discardableResult
    mutating func update(desired: Set<SubscriptionTopic>, streams: (Set<SubscriptionTopic>) -> Int) -> Bool {
        // The same set keeps its plan: the connections ask for their parts in their own time.
        guard let capacity, desired != planned else { return false }
        planned = desired
        let byMarket = Dictionary(grouping: desired, by: \.market).mapValues(Set.init)
        let before = (assignment, shardCount)
        placed = placed.filter { byMarket[$0] != nil }
        assignment = assignment.filter { placed.contains($0.key) }
        shardCount = (assignment.values.max() ?? 0) + 1
        let cost = byMarket.mapValues { streams($0) }
        var load = [Int](repeating: 0, count: shardCount)
        for (market, index) in assignment { load[index] += cost[market] ?? 0 }
        // Markets whose set grew past their shard's room move, the last in code order first.
        for index in load.indices where load[index] > capacity {
            let members = assignment.filter { $0.value == index }.map(\.key).sorted { $0.rawValue > $1.rawValue }
            for market in members where load[index] > capacity {
                assignment[market] = nil
                load[index] -= cost[market] ?? 0
            }
        }
        // New markets, largest first (ties by code, so the plan is deterministic).
        let newcomers = byMarket.keys.filter { assignment[$0] == nil }.sorted {
            (cost[$0] ?? 0, $1.rawValue) > (cost[$1] ?? 0, $0.rawValue)
        }
        for market in newcomers {
            let size = cost[market] ?? 0
            if let index = load.indices.filter({ load[$0] + size <= capacity }).min(by: { load[$0] < load[$1] }) {
                assignment[market] = index
                load[index] += size
            } else {
                // No room: open a shard, then even out the loads.
                load.append(size)
                assignment[market] = load.count - 1
                shardCount = load.count
                rebalance(&load, cost: cost, capacity: capacity)
            }
        }
        return before.0 != assignment || before.1 != shardCount
    }

    /// Notes that the markets of `topics` were asked for upstream on their planned shards: from
    /// now on they keep them.
    mutating func place(_ topics: Set<SubscriptionTopic>) {
        for topic in topics where assignment[topic.market] != nil { placed.insert(topic.market) }
    }

    /// Moves markets from the fullest shard to the emptiest while that narrows the gap.
    private mutating func rebalance(_ load: inout [Int], cost: [MarketCode: Int], capacity: Int) {
        while let full = load.indices.max(by: { load[$0] < load[$1] }),
            let empty = load.indices.min(by: { load[$0] < load[$1] })
        {
            let gap = load[full] - load[empty]
            let movable = assignment.filter { $0.value == full }.map(\.key).sorted { $0.rawValue < $1.rawValue }
            guard
                let market = movable.first(where: {
                    let size = cost[$0] ?? 0
                    return size > 0 && size < gap && load[empty] + size <= capacity
                })
            else { return }
            let size = cost[market] ?? 0
            assignment[market] = empty
            load[full] -= size
            load[empty] += size
        }
    }
}
