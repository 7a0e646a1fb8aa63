import CoreMetrics
import MarketStreamCore
import Metrics
import Synchronization

/// The per-channel objects that the read path touches without taking the router's lock.
final class ChannelRuntime: Sendable {
    let key: ChannelKey
    let descriptor: ExchangeChannel
    let manager: any AbstractWebSocketManager
    /// The read path's routes, replaced whole when the channel's subscriptions change.
    let routes = PublishedReference(RouteTable.empty)
    /// The channel's pending snapshots, error history and departed subscribers' drops.
    let record = Mutex(ChannelRecord())
    /// The channel's connections: shard 0, and more where the venue limits the streams per
    /// connection and the set outgrew one.
    private let shardList: Mutex<[ChannelShard]>
    /// Which shard carries each market.
    private let plan: Mutex<ShardPlan>
    /// The plan as the read path sees it (for every frame), published whenever it changes.
    let shardMaps = PublishedReference(ShardMap.unsharded)
    /// Signalled when the plan opens a shard, so the supervisor starts running it.
    let shardsOpened = WakeSignal()
    /// Set when shard 0's supervision has ended (the router stopped): the others end with it.
    let supervisionEnded = Atomic<Bool>(false)
    private let configuration: RouterConfiguration

    /// The generation of the channel's connections: events of older ones are never delivered.
    /// It advances whenever one of the channel's connections is replaced (not by a planned
    /// rotation, which keeps it).
    let currentGeneration = Atomic<UInt64>(0)
    /// The last connection number handed out.
    let lastConnection = Atomic<UInt64>(0)
    /// Planned rotations completed (make-before-break replacements of a connection).
    let rotations = Atomic<Int>(0)
    /// Rotations that took over before every flowing topic overlapped (some events may be missing).
    let rotationsWithoutOverlap = Atomic<Int>(0)
    let messagesReceived = Atomic<Int>(0)
    let malformedFrames = Atomic<Int>(0)
    /// Frames the transport dropped before they were received (a bus client's slow-consumer drops).
    let transportDrops = Atomic<Int>(0)
    let upstreamMessages = Atomic<Int>(0)
    /// Input events a data-type handler failed on (skipped).
    let handlerFailures = Atomic<Int>(0)
    /// Audits that found the exchange's set differing from the desired one.
    let driftRepairs = Atomic<Int>(0)
    /// Events delivered from REST polling while the stream was unavailable.
    let polledEvents = Atomic<Int>(0)
    /// REST polls that failed.
    let pollFailures = Atomic<Int>(0)
    /// Wakes the channel's poller when the mode changes.
    let fallbackSignal = WakeSignal()
    /// Whether the exchange module offers a REST fallback for this channel.
    let hasFallback: Bool
    /// Wall-clock nanoseconds of the last inbound frame.
    let lastMessageAt = Atomic<Int64>(0)

    let receivedCounter: Counter
    let malformedCounter: Counter
    let transportDropCounter: Counter
    let reconnectCounter: Counter
    let upstreamMessageCounter: Counter
    let upstreamTopicsGauge: Gauge

    init(
        key: ChannelKey, descriptor: ExchangeChannel, manager: any AbstractWebSocketManager,
        configuration: RouterConfiguration, metricsFactory: any MetricsFactory
    ) {
        self.key = key
        self.descriptor = descriptor
        self.manager = manager
        let hasFallback = (manager as? any RESTFallbackProvider)?.makeFallbackPoller(for: key.channel) != nil
        self.hasFallback = hasFallback
        self.configuration = configuration
        shardList = Mutex([ChannelShard(index: 0, configuration: configuration, hasFallback: hasFallback)])
        plan = Mutex(ShardPlan(capacity: descriptor.streamsPerConnection))
        let dimensions = [("exchange", key.exchange.rawValue), ("channel", key.channel.rawValue)]
        receivedCounter = Counter(
            label: "marketstream.messages.received", dimensions: dimensions, factory: metricsFactory)
        malformedCounter = Counter(
            label: "marketstream.frames.malformed", dimensions: dimensions, factory: metricsFactory)
        transportDropCounter = Counter(
            label: "marketstream.frames.transport_dropped", dimensions: dimensions, factory: metricsFactory)
        reconnectCounter = Counter(label: "marketstream.reconnects", dimensions: dimensions, factory: metricsFactory)
        upstreamMessageCounter = Counter(
            label: "marketstream.upstream.messages", dimensions: dimensions, factory: metricsFactory)
        upstreamTopicsGauge = Gauge(
            label: "marketstream.upstream.topics", dimensions: dimensions, factory: metricsFactory)
    }

    var generation: ConnectionGeneration { ConnectionGeneration(currentGeneration.load(ordering: .acquiring)) }

    /// Whether subscribers are served by the stream or by REST polling.
    var mode: ChannelDataMode { isPolling ? .restPolling : .stream }

    /// Whether the channel is being served by REST polling (decided by shard 0: the REST
    /// fallback serves the whole channel).
    var isPolling: Bool { primary.machine.withLock { $0.isPolling } }

    /// Shard 0, which every channel has.
    var primary: ChannelShard { shardList.withLock { $0[0] } }

    /// The channel's shards, from 0.
    var shards: [ChannelShard] { shardList.withLock { $0 } }

    /// The set the exchange has on the channel's current connections.
    var upstream: Set<SubscriptionTopic> {
        shards.reduce(into: Set<SubscriptionTopic>()) { $0.formUnion($1.upstream) }
    }

    /// Brings the shard plan up to date with the channel's desired set, opening shards as needed.
    /// - Returns: The topics of `desired` that `shard` carries.
    func plannedTopics(_ desired: Set<SubscriptionTopic>, on shard: Int) -> Set<SubscriptionTopic> {
        guard descriptor.streamsPerConnection != nil else { return shard == 0 ? desired : [] }
        let requested = manager as? any IncrementalSubscriptionManager
        let (topics, changed, count) = plan.withLock { plan in
            let changed = plan.update(desired: desired) { topics in
                requested?.requestedTopics(for: topics).count ?? topics.count
            }
            if changed { shardMaps.publish(plan.map) }
            return (plan.topics(desired, on: shard), changed, plan.shardCount)
        }
        if changed { openShards(upTo: count) }
        return topics
    }

    /// Notes that `topics` are being asked for upstream on their planned shard: their markets keep
    /// it from now on.
    func place(_ topics: Set<SubscriptionTopic>) {
        guard descriptor.streamsPerConnection != nil else { return }
        plan.withLock { $0.place(topics) }
    }

    /// Makes sure shards `0..<count` exist and wakes them all (markets may have moved).
    private func openShards(upTo count: Int) {
        let opened = shardList.withLock { list -> Bool in
            guard list.count < count else { return false }
            for index in list.count..<count {
                // Only shard 0 may start REST polling: it serves the whole channel.
                list.append(ChannelShard(index: index, configuration: configuration, hasFallback: false))
            }
            return true
        }
        if opened { shardsOpened.signal() }
        wake()
    }

    /// Whether snapshot requests wait to be sent.
    var snapshotsPending: Bool { record.withLock { !$0.pendingSnapshots.isEmpty } }

    /// A new connection number.
    func nextConnectionNumber() -> UInt64 { lastConnection.add(1, ordering: .relaxed).newValue }

    /// Tells the upstream sync of every shard's connections that the desired set changed.
    func wake() {
        for shard in shards { shard.wake() }
    }

    /// Updates the channel's record.
    func update(_ change: (inout ChannelRecord) -> Void) {
        record.withLock { change(&$0) }
    }
}
