import Atomics
import MarketStreamCore

/// Which shard carries each market, as a channel's connections read it for every frame: an
/// immutable snapshot of the ``ShardPlan``, published whole (like ``RouteTable``) so the read path
/// takes no lock.
final class ShardMap: Sendable, AtomicReference {
    /// Every market on shard 0.
    static let unsharded = ShardMap(assignment: [:], shardCount: 1)

    private let assignment: [MarketCode: Int]
    /// Shards opened.
    let shardCount: Int

    init(assignment: [MarketCode: Int], shardCount: Int) {
        self.assignment = assignment
        self.shardCount = shardCount
    }

    /// Whether the channel runs on more than one shard.
    var isSharded: Bool { shardCount > 1 }

    /// The shard that carries `market` (shard 0 for a market not planned).
    func shard(of market: MarketCode) -> Int { assignment[market] ?? 0 }
}

extension ShardPlan {
    /// The plan as the read path sees it.
    var map: ShardMap { ShardMap(assignment: assignment, shardCount: shardCount) }
}
