import Synchronization

/// What a ``RemoteExchange`` saw on the bus, across its connections.
public final class RemoteStatistics: Sendable {
    /// Data frames handed to the router.
    public var frames: Int { framesCounter.load(ordering: .relaxed) }
    /// Gaps in a topic's sequence (frames the bus lost: NATS core delivers at most once).
    public var sequenceGaps: Int { gapsCounter.load(ordering: .relaxed) }
    /// Frames of an older gateway (a lower epoch) that were ignored.
    public var fencedFrames: Int { fencedCounter.load(ordering: .relaxed) }
    /// Late joiners' snapshots replayed from the gateway's last frames.
    public var snapshotsReplayed: Int { snapshotsCounter.load(ordering: .relaxed) }
    /// Times nats.c reported this process a slow consumer (it dropped messages it could not deliver).
    public var slowConsumerReports: Int { slowConsumerCounter.load(ordering: .relaxed) }
    /// Messages nats.c dropped for slow delivery (also in the router's health, as the channel's
    /// `transportDroppedFrames`), reported within a second.
    public var droppedByClient: Int64 { droppedCounter.load(ordering: .relaxed) }
    /// Topics or leases the gateway refused.
    public var rejections: Int { rejectionsCounter.load(ordering: .relaxed) }
    /// The highest gateway epoch seen: frames of a lower one are fenced off.
    public var epoch: UInt32 { highestEpoch.load(ordering: .relaxed) }

    let framesCounter = Atomic<Int>(0)
    let gapsCounter = Atomic<Int>(0)
    let fencedCounter = Atomic<Int>(0)
    let snapshotsCounter = Atomic<Int>(0)
    let slowConsumerCounter = Atomic<Int>(0)
    let droppedCounter = Atomic<Int64>(0)
    let rejectionsCounter = Atomic<Int>(0)
    let highestEpoch = Atomic<UInt32>(0)

    init() {}

    /// Notes `epoch`; returns whether it is at least the highest seen.
    func admit(epoch: UInt32) -> Bool {
        var current = highestEpoch.load(ordering: .relaxed)
        while epoch > current {
            let (exchanged, original) = highestEpoch.compareExchange(
                expected: current, desired: epoch, ordering: .relaxed)
            if exchanged { return true }
            current = original
        }
        return epoch == current
    }
}
