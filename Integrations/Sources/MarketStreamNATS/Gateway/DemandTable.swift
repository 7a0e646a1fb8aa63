import MarketStreamCore

/// Every remote process's lease and their union: the gateway's state of remote demand.
///
/// A value type with no I/O: the gateway applies leases and expiries to it and turns the
/// changes of the union into router subscriptions.
struct DemandTable: Sendable {
    /// One process's lease.
    struct Lease: Sendable, Hashable {
        var topics: Set<SubscriptionTopic>
        var expiresAt: Duration
        var renewals: Int
        var grantedAt: Duration
        /// What the process last reported receiving.
        var report: DeliveryReport?
    }

    /// What a change did to the union.
    struct Change: Sendable, Hashable {
        /// Topics nobody wanted before.
        var added: Set<SubscriptionTopic> = []
        /// Topics nobody wants any more.
        var removed: Set<SubscriptionTopic> = []
        /// The lease's topics its process did not hold before (for late-joiner snapshots).
        var joined: Set<SubscriptionTopic> = []
    }

    private(set) var leases: [String: Lease] = [:]
    /// How many leases hold each topic.
    private(set) var holders: [SubscriptionTopic: Int] = [:]

    /// Every topic some lease holds.
    var union: Set<SubscriptionTopic> { Set(holders.keys) }

    /// Replaces `client`'s lease with `topics` until `now + ttl`.
    mutating func apply(
        client: String, topics: Set<SubscriptionTopic>, report: DeliveryReport? = nil, now: Duration, ttl: Duration
    ) -> Change {
        let previous = leases[client]
        let before = previous?.topics ?? []
        var change = Change(joined: topics.subtracting(before))
        for topic in change.joined {
            holders[topic, default: 0] += 1
            if holders[topic] == 1 { change.added.insert(topic) }
        }
        for topic in before.subtracting(topics) { release(topic, into: &change) }
        leases[client] = Lease(
            topics: topics, expiresAt: now + ttl, renewals: (previous?.renewals ?? -1) + 1,
            grantedAt: previous?.grantedAt ?? now, report: report ?? previous?.report)
        return change
    }

    /// Ends `client`'s lease.
    mutating func remove(client: String) -> Change {
        guard let lease = leases.removeValue(forKey: client) else { return Change() }
        var change = Change()
        for topic in lease.topics { release(topic, into: &change) }
        return change
    }

    /// Ends every lease that expired by `now`.
    /// - Returns: The expired clients and what their release did to the union.
    mutating func expire(now: Duration) -> (clients: [String], change: Change) {
        let expired = leases.filter { $0.value.expiresAt <= now }.keys.sorted()
        var change = Change()
        for client in expired {
            let removed = remove(client: client)
            change.removed.formUnion(removed.removed)
        }
        return (expired, change)
    }

    /// When the next lease expires.
    var nextExpiry: Duration? { leases.values.map(\.expiresAt).min() }

    private mutating func release(_ topic: SubscriptionTopic, into change: inout Change) {
        guard let count = holders[topic] else { return }
        if count <= 1 {
            holders[topic] = nil
            change.removed.insert(topic)
        } else {
            holders[topic] = count - 1
        }
    }
}
