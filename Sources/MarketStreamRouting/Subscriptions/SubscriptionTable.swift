import MarketStreamCore

/// Identifies one subscriber (one subscription stream or one snapshot waiter) inside a router.
public struct SubscriberID: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The number, unique within one router.
    public let rawValue: UInt64

    init(_ rawValue: UInt64) { self.rawValue = rawValue }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }

    public var description: String { "#\(rawValue)" }
}

/// One exchange channel: the unit that owns one upstream connection and one subscription set.
public struct ChannelKey: Hashable, Sendable, CustomStringConvertible {
    /// The exchange.
    public var exchange: ExchangeID
    /// The channel of that exchange.
    public var channel: ChannelID

    /// Creates a key.
    public init(exchange: ExchangeID, channel: ChannelID) {
        self.exchange = exchange
        self.channel = channel
    }

    public var description: String { "\(exchange)/\(channel)" }
}

/// Who wants which upstream topic; performs no I/O.
///
/// A topic is part of its channel's desired upstream set while it has at least one subscriber,
/// and for a grace period after its last subscriber left, so that a component that re-subscribes
/// at once (a chart switching views) causes no upstream churn.
struct SubscriptionTable: Sendable {
    private struct Entry: Sendable {
        var subscribers: Set<SubscriberID> = []
        /// When the topic leaves the desired set, if nobody re-subscribes before then.
        var lingerUntil: Duration?
    }

    private var channels: [ChannelKey: [SubscriptionTopic: Entry]] = [:]

    /// Adds `subscriber` to each topic.
    /// - Returns: Whether the channel's desired upstream set grew.
    mutating func add(_ subscriber: SubscriberID, to topics: some Sequence<SubscriptionTopic>, on channel: ChannelKey)
        -> Bool
    {
        var grew = false
        for topic in topics {
            var entry = channels[channel, default: [:]][topic] ?? Entry()
            if entry.subscribers.isEmpty && entry.lingerUntil == nil { grew = true }
            entry.subscribers.insert(subscriber)
            entry.lingerUntil = nil
            channels[channel, default: [:]][topic] = entry
        }
        return grew
    }

    /// Removes `subscriber` from each topic it holds.
    ///
    /// A topic left without subscribers lingers until `now + grace`; with a zero grace it leaves the
    /// desired set at once.
    /// - Returns: Whether the channel's desired upstream set shrank now.
    mutating func remove(
        _ subscriber: SubscriberID, from topics: some Sequence<SubscriptionTopic>, on channel: ChannelKey,
        now: Duration, grace: Duration
    ) -> Bool {
        var shrank = false
        for topic in topics {
            guard var entry = channels[channel]?[topic], entry.subscribers.remove(subscriber) != nil else { continue }
            if entry.subscribers.isEmpty {
                if grace > .zero {
                    entry.lingerUntil = now + grace
                } else {
                    channels[channel]?[topic] = nil
                    shrank = true
                    continue
                }
            }
            channels[channel]?[topic] = entry
        }
        if channels[channel]?.isEmpty == true { channels[channel] = nil }
        return shrank
    }

    /// Drops `channel`'s lingering topics whose grace period has ended (each channel expires its own).
    /// - Returns: The topics that left the channel's desired set.
    mutating func expireLingering(on channel: ChannelKey, now: Duration) -> [SubscriptionTopic] {
        guard let topics = channels[channel] else { return [] }
        var expired: [SubscriptionTopic] = []
        for (topic, entry) in topics {
            if let until = entry.lingerUntil, until <= now {
                channels[channel]?[topic] = nil
                expired.append(topic)
            }
        }
        if channels[channel]?.isEmpty == true { channels[channel] = nil }
        return expired
    }

    /// Whether `topic` is in `channel`'s desired set (live or lingering).
    func isDesired(_ topic: SubscriptionTopic, on channel: ChannelKey) -> Bool {
        channels[channel]?[topic] != nil
    }

    /// The channel's desired upstream set: topics with subscribers plus lingering ones.
    func desired(for channel: ChannelKey) -> Set<SubscriptionTopic> {
        guard let topics = channels[channel] else { return [] }
        return Set(topics.keys)
    }

    /// When the channel's next lingering topic expires, if any.
    func nextExpiry(for channel: ChannelKey) -> Duration? {
        channels[channel]?.values.compactMap(\.lingerUntil).min()
    }

    /// How many subscribers hold `topic`.
    func subscriberCount(of topic: SubscriptionTopic, on channel: ChannelKey) -> Int {
        channels[channel]?[topic]?.subscribers.count ?? 0
    }

    /// Every channel that has topics (live or lingering).
    var activeChannels: some Collection<ChannelKey> { channels.keys }

    /// Whether no topic is wanted anywhere.
    var isEmpty: Bool { channels.isEmpty }
}
