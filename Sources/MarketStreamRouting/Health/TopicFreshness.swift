import MarketStreamCore
import Synchronization

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

/// When one key's events arrived: first, last and how many; counted by the read path without a
/// lock (one writer per channel at a time; a lost update under a rare race only blurs an estimate).
final class TopicActivityCounter: Sendable {
    /// The key as its events name it (order books without a depth).
    let topic: SubscriptionTopic
    private let first = Atomic<Int64>(0)
    private let last = Atomic<Int64>(0)
    private let count = Atomic<Int>(0)

    init(topic: SubscriptionTopic) {
        self.topic = topic
    }

    /// Counts an event received at `nanoseconds` (wall clock).
    @inline(__always)
    func record(at nanoseconds: Int64) {
        if count.wrappingAdd(1, ordering: .relaxed).oldValue == 0 {
            first.store(nanoseconds, ordering: .relaxed)
        }
        if nanoseconds > last.load(ordering: .relaxed) { last.store(nanoseconds, ordering: .relaxed) }
    }

    /// Whether the key is stale at `now` under `policy`, and the figures that say so.
    func staleness(now: Int64, policy: FreshnessPolicy) -> TopicFreshness? {
        let count = count.load(ordering: .relaxed)
        guard count >= 2 else { return nil }
        let (first, last) = (first.load(ordering: .relaxed), last.load(ordering: .relaxed))
        let usual = (last - first) / Int64(count - 1)
        let silent = now - last
        let limit = max(policy.minimumSilence.nanosecondsValue, usual &* Int64(policy.intervalMultiple))
        guard silent > limit else { return nil }
        return TopicFreshness(
            topic: topic, silentFor: .nanoseconds(silent), usualInterval: .nanoseconds(usual), events: count)
    }
}
