import MarketStreamCore

/// When a subscribed key counts as stale: silent far beyond its usual interval. Quiet markets are
/// normal, so a stale key is reported in health, never reconnected for on its own.
public struct FreshnessPolicy: Sendable, Hashable {
    /// A key is stale only after this much silence at least (default 30 s).
    public var minimumSilence: Duration
    /// …and after this many of its usual intervals between events (default 20).
    public var intervalMultiple: Int

    /// Creates a policy.
    public init(minimumSilence: Duration = .seconds(30), intervalMultiple: Int = 20) {
        self.minimumSilence = minimumSilence
        self.intervalMultiple = max(1, intervalMultiple)
    }
}

/// A subscribed key that has gone silent far beyond its usual interval.
public struct TopicFreshness: Sendable, Hashable, CustomStringConvertible {
    /// The key, as its events name it (order books without a depth suffix).
    public var topic: SubscriptionTopic
    /// Time since its last event.
    public var silentFor: Duration
    /// Its mean interval between events while it was flowing.
    public var usualInterval: Duration
    /// Events seen since the router started.
    public var events: Int

    public var description: String {
        "\(topic) silent for \(silentFor) (usually every \(usualInterval))"
    }
}

/// When one key's events arrived: first, last and how many. Kept per upstream key.
struct TopicActivity: Sendable {
    var first: Int64
    var last: Int64
    var count: Int

    /// Counts an event.
    mutating func record(at nanoseconds: Int64) {
        last = max(last, nanoseconds)
        count += 1
    }

    /// Whether the key is stale at `now` under `policy`, and the figures that say so.
    func staleness(of topic: SubscriptionTopic, now: Int64, policy: FreshnessPolicy) -> TopicFreshness? {
        guard count >= 2 else { return nil }
        let usual = (last - first) / Int64(count - 1)
        let silent = now - last
        let limit = max(policy.minimumSilence.nanosecondsValue, usual &* Int64(policy.intervalMultiple))
        guard silent > limit else { return nil }
        return TopicFreshness(
            topic: topic, silentFor: .nanoseconds(silent), usualInterval: .nanoseconds(usual), events: count)
    }
}
