import MarketStreamCore
import Synchronization

/// Everything the router knows about one subscriber.
struct SubscriberRecord: Sendable {
    let buffer: SubscriberBuffer
    let kind: DataKind
    var topics: Set<SubscriptionTopic>
    let clientID: String?
    /// Snapshot waiters receive events but hold no upstream subscription.
    let isSnapshotWaiter: Bool

    var channel: ChannelKey { buffer.channel }
}

/// What one channel's owner (``ChannelRuntime``) tracks behind its own lock, each fact once.
struct ChannelRecord: Sendable {
    var pendingSnapshots: Set<SubscriptionTopic> = []
    var reconnects = 0
    var lastError: String?
    /// Whether subscribers were told of an outage that a restore has not yet answered.
    var outageAnnounced = false
    /// The last REST poll's failure, while polling.
    var lastPollError: String?
    /// Drops counted by subscribers that have since left.
    var droppedByDeparted = 0
}

/// The router's shared mutable state, kept behind one `Mutex`; its methods do no I/O.
struct RouterState: Sendable {
    enum Lifecycle: Sendable { case initial, running, shutDown }

    var lifecycle = Lifecycle.initial
    var table = SubscriptionTable()
    var subscribers: [SubscriberID: SubscriberRecord] = [:]
    /// Subscriber buffers per channel by the topic they receive; published to each channel's
    /// read path as a ``RouteTable``.
    var routes: [ChannelKey: [SubscriptionTopic: [SubscriberBuffer]]] = [:]
    /// Activity counters per channel, carried from one route table to the next.
    var activityCounters: [ChannelKey: [FreshnessKey: TopicActivityCounter]] = [:]
    /// Each channel's route table as last built, and the topics changed since.
    private var routeTables: [ChannelKey: RouteTable] = [:]
    private var changedRoutes: [ChannelKey: Set<SubscriptionTopic>] = [:]
    var clients: [String: Set<SubscriberID>] = [:]
    var connectLimiters: [ExchangeID: SlidingWindowRateLimiter] = [:]
    /// Running handler processors by the topic they produce, with their subscriber counts.
    var derived: [SubscriptionTopic: (stream: DerivedStream, subscribers: Int)] = [:]
    /// Running handler processors per channel by each topic they consume.
    var feeds: [ChannelKey: [SubscriptionTopic: [DerivedStream]]] = [:]
    let handlers: HandlerRegistry
    private var lastSubscriberID: UInt64 = 0
    /// Tasks in ``MarketDataRouter/waitForUpstreamSync(on:)``, by waiter id.
    var upstreamWaiters: [UInt64: (channel: ChannelKey, continuation: CheckedContinuation<Void, Never>)] = [:]
    var lastUpstreamWaiterID: UInt64 = 0

    init(handlers: HandlerRegistry) {
        self.handlers = handlers
    }

    /// Whether `upstream`, the set last sent on `channel`, is the set the router wants there.
    func isUpstreamSynced(_ channel: ChannelKey, upstream: Set<SubscriptionTopic>) -> Bool {
        upstream == table.desired(for: channel)
    }

    /// The upstream topics that deliver `topics`: the topic itself, or a handler's inputs.
    func upstreamTopics(for topics: Set<SubscriptionTopic>) -> Set<SubscriptionTopic> {
        var upstream: Set<SubscriptionTopic> = []
        for topic in topics {
            if let handler = handlers[topic.kind] {
                for kind in handler.consumedKinds {
                    upstream.insert(SubscriptionTopic(exchange: topic.exchange, kind: kind, market: topic.market))
                }
            } else {
                upstream.insert(topic)
            }
        }
        return upstream
    }

    /// `channel`'s route table with the topics changed since the last call brought up to date (the
    /// cost is the changed topics', not the channel's).
    mutating func routeTable(for channel: ChannelKey) -> RouteTable {
        let current = routeTables[channel] ?? .empty
        guard let changed = changedRoutes.removeValue(forKey: channel), !changed.isEmpty else { return current }
        let subscriptions = self.table
        // Updated in place: a copy of the channel's counters would cost its whole set per change.
        let updated = current.updating(
            changed, buffers: routes[channel] ?? [:], feeds: feeds[channel] ?? [:],
            isDesired: { subscriptions.isDesired($0, on: channel) }, counters: &activityCounters[channel, default: [:]])
        routeTables[channel] = updated
        return updated
    }

    /// Notes that `topics`' routes on `channel` changed (subscribers, processors or upstream membership).
    mutating func routesChanged(_ topics: some Sequence<SubscriptionTopic>, on channel: ChannelKey) {
        changedRoutes[channel, default: []].formUnion(topics)
    }

    /// Drops `channel`'s lingering topics whose grace period has ended.
    /// - Returns: Whether any did (the channel's route table then needs publishing).
    mutating func expireLingering(on channel: ChannelKey, now: Duration) -> Bool {
        let expired = table.expireLingering(on: channel, now: now)
        routesChanged(expired, on: channel)
        return !expired.isEmpty
    }

    /// Stale keys per channel: subscribed keys silent far beyond their usual interval.
    func staleTopics(now: Int64, policy: FreshnessPolicy) -> [ChannelKey: [TopicFreshness]] {
        var stale: [ChannelKey: [TopicFreshness]] = [:]
        for channel in activityCounters.keys {
            let found = staleTopics(on: channel, now: now, policy: policy)
            if !found.isEmpty { stale[channel] = found }
        }
        return stale
    }

    /// The subscribed keys of one channel that are silent far beyond their usual interval, most
    /// silent first.
    func staleTopics(on channel: ChannelKey, now: Int64, policy: FreshnessPolicy) -> [TopicFreshness] {
        guard let counters = activityCounters[channel] else { return [] }
        let subscribed = Set(table.desired(for: channel).map(FreshnessKey.init))
        return counters.filter { subscribed.contains($0.key) }.values
            .compactMap { $0.staleness(now: now, policy: policy) }
            .sorted { $0.silentFor > $1.silentFor }
    }

    mutating func makeSubscriberID() -> SubscriberID {
        lastSubscriberID += 1
        return SubscriberID(lastSubscriberID)
    }

    /// Registers a subscriber and its routes, starting handler processors it needs.
    /// - Returns: Whether the upstream set grew.
    /// - Throws: `MarketStreamError/Code/handlerFailed` when a processor cannot start; nothing
    ///   is registered then.
    mutating func add(_ record: SubscriberRecord) throws(MarketStreamError) -> Bool {
        try startProcessors(for: record.topics, on: record.channel)
        routesChanged(record.topics.union(upstreamTopics(for: record.topics)), on: record.channel)
        subscribers[record.buffer.id] = record
        for topic in record.topics { routes[record.channel, default: [:]][topic, default: []].append(record.buffer) }
        if let clientID = record.clientID { clients[clientID, default: []].insert(record.buffer.id) }
        guard !record.isSnapshotWaiter else { return false }
        return table.add(record.buffer.id, to: upstreamTopics(for: record.topics), on: record.channel)
    }

    private mutating func startProcessors(for topics: Set<SubscriptionTopic>, on channel: ChannelKey)
        throws(MarketStreamError)
    {
        var started: [SubscriptionTopic: DerivedStream] = [:]
        for topic in topics where derived[topic] == nil {
            guard let handler = handlers[topic.kind] else { continue }
            do {
                let processor = try handler.makeProcessor(exchange: topic.exchange, market: topic.market)
                let inputs = handler.consumedKinds.map {
                    SubscriptionTopic(exchange: topic.exchange, kind: $0, market: topic.market)
                }
                started[topic] = DerivedStream(output: topic, inputs: inputs, processor: processor)
            } catch {
                throw MarketStreamError(
                    .handlerFailed, "the '\(topic.kind)' handler could not start for \(topic.market): \(error)",
                    exchange: topic.exchange)
            }
        }
        for topic in topics where handlers[topic.kind] != nil {
            if let stream = started[topic] {
                derived[topic] = (stream, 1)
                for input in stream.inputs { feeds[channel, default: [:]][input, default: []].append(stream) }
            } else {
                derived[topic]?.subscribers += 1
            }
        }
    }

    private mutating func stopProcessors(for topics: Set<SubscriptionTopic>, on channel: ChannelKey) {
        for topic in topics {
            guard let entry = derived[topic] else { continue }
            guard entry.subscribers <= 1 else {
                derived[topic]?.subscribers -= 1
                continue
            }
            derived[topic] = nil
            for input in entry.stream.inputs {
                feeds[channel]?[input]?.removeAll { $0 === entry.stream }
                if feeds[channel]?[input]?.isEmpty == true { feeds[channel]?[input] = nil }
            }
        }
    }

    /// Removes some topics from a subscriber; removes the subscriber when none are left.
    /// - Returns: The subscriber's record if it was removed entirely.
    mutating func remove(
        _ topics: Set<SubscriptionTopic>, from id: SubscriberID, now: Duration, grace: Duration
    ) -> SubscriberRecord? {
        guard var record = subscribers[id] else { return nil }
        let removed = record.topics.intersection(topics)
        for topic in removed {
            routes[record.channel]?[topic]?.removeAll { $0.id == id }
            if routes[record.channel]?[topic]?.isEmpty == true { routes[record.channel]?[topic] = nil }
        }
        stopProcessors(for: removed, on: record.channel)
        routesChanged(removed.union(upstreamTopics(for: removed)), on: record.channel)
        if !record.isSnapshotWaiter {
            // Keep inputs that a remaining topic of this subscriber still needs.
            let released = upstreamTopics(for: removed).subtracting(
                upstreamTopics(for: record.topics.subtracting(removed)))
            _ = table.remove(id, from: released, on: record.channel, now: now, grace: grace)
        }
        record.topics.subtract(removed)
        guard record.topics.isEmpty else {
            subscribers[id] = record
            return nil
        }
        subscribers[id] = nil
        if let clientID = record.clientID {
            clients[clientID]?.remove(id)
        }
        return record
    }

    /// Removes a subscriber entirely.
    mutating func removeSubscriber(_ id: SubscriberID, now: Duration, grace: Duration) -> SubscriberRecord? {
        guard let topics = subscribers[id]?.topics else { return nil }
        return remove(topics, from: id, now: now, grace: grace)
    }

    /// Whether the channel should have a connection now.
    /// - Parameter snapshotsPending: Whether the channel has snapshot requests to send.
    func needsConnection(_ channel: ChannelKey, staysWarm: Bool, snapshotsPending: Bool) -> Bool {
        guard lifecycle == .running else { return false }
        return staysWarm || !table.desired(for: channel).isEmpty || snapshotsPending
    }

    /// Buffers of every live subscriber on `channel`.
    func buffers(on channel: ChannelKey) -> [SubscriberBuffer] {
        subscribers.values.filter { $0.channel == channel && !$0.isSnapshotWaiter }.map(\.buffer)
    }

    /// Where a channel-wide event (a reconnect, a restore, a mode change) goes so that every
    /// subscriber on `channel` receives it once: each buffer of its own, and one reader of each
    /// broadcast log (whose ``SubscriberBuffer/deliver(_:)`` appends to the log for all its readers).
    func announcementTargets(on channel: ChannelKey) -> [SubscriberBuffer] {
        var logs = Set<ObjectIdentifier>()
        return buffers(on: channel).filter { buffer in
            guard let log = buffer.log else { return true }
            return logs.insert(ObjectIdentifier(log)).inserted
        }
    }

    /// The broadcast log a new single-topic drop-oldest subscriber of `topic` joins: the one the
    /// topic's readers share, a new one when another such subscriber has a buffer of its own, or
    /// none for the first (one subscriber is served faster by its own buffer, which hands batches
    /// over without copying them; from the second on, one append serves them all).
    func broadcastLog(for topic: SubscriptionTopic, on channel: ChannelKey, capacity: Int) -> BroadcastLog? {
        let buffers = routes[channel]?[topic] ?? []
        if let existing = buffers.lazy.compactMap(\.log).first(where: { $0.capacity == capacity }) { return existing }
        let sharesTopic = buffers.contains { buffer in
            buffer.policy == .dropOldest && !buffer.acceptsOnlySnapshots && subscribers[buffer.id]?.topics.count == 1
        }
        return sharesTopic ? BroadcastLog(capacity: capacity) : nil
    }
}
