import DequeModule
import MarketStreamCore

/// What one connection's read path does with the events it decodes, as a value with no I/O.
///
/// A connection is `active` (its events are routed), `standby` (a planned rotation's
/// replacement, opened and subscribed while the old one still delivers: its events are held) or
/// `retired` (replaced: its frames are dropped). On a channel that rotates, the active
/// connection remembers each topic's last delivered ``MarketEvent/orderingKey`` and never
/// delivers an event ordered before it, nor one ordered at it where the key names one event (a
/// trade's id, a book's update id) or the mark was inherited; the replacement inherits those
/// marks when it is promoted, so the overlap of the two connections delivers neither a gap nor a
/// duplicate. Events a connection receives stamped in the same millisecond as its last are
/// delivered: they are new events, not repeats.
struct InboundState: Sendable {
    enum Role: Sendable, Equatable {
        case active
        case standby
        case retired
    }

    /// Events a standby holds at most; past this it is promoted at once.
    static let holdLimit = 100_000

    /// Reused for every frame, so decoding allocates no new arrays.
    var frame = DecodedFrame()
    /// The route table and shard map the read path last loaded, kept while no newer ones are
    /// published.
    var routeCache = PublishedReference<RouteTable>.Cache(placeholder: .empty)
    var shardMapCache = PublishedReference<ShardMap>.Cache(placeholder: .unsharded)
    private(set) var role: Role
    /// Whether the channel rotates, so marks are kept.
    let keepsMarks: Bool
    /// The last delivered ordering key per topic (only where ``keepsMarks``).
    private(set) var marks: [SubscriptionTopic: Mark] = [:]
    /// While a replacement is being prepared: the topics this (outgoing) connection delivered
    /// since, which the replacement must also have seen before it takes over.
    private(set) var flowing: Set<SubscriptionTopic>?
    /// A standby's first ordering key per topic.
    private(set) var firstSeen: [SubscriptionTopic: Int64] = [:]
    /// A standby's events, oldest first.
    private(set) var held: Deque<MarketEvent> = []

    /// A topic's last ordering key, and whether this connection delivered it (rather than
    /// inheriting it from the connection it replaced).
    struct Mark: Sendable, Equatable {
        var key: Int64
        var delivered: Bool
    }

    init(role: Role, keepsMarks: Bool) {
        self.role = role
        self.keepsMarks = keepsMarks
    }

    /// Whether a standby holds as many events as it may.
    var isHoldingLimit: Bool { held.count >= Self.holdLimit }

    /// An active connection's decision on one event: deliver it (recording its mark) or not
    /// (ordered before its topic's mark, or at it where that is a repeat: the key names one event,
    /// or the old connection delivered an event at it).
    mutating func admit(_ event: MarketEvent) -> Bool {
        guard keepsMarks else { return true }
        let topic = event.topic
        let key = event.orderingKey
        // One hash per event: the mark is compared and moved through its index.
        if let index = marks.index(forKey: topic) {
            let mark = marks.values[index]
            guard key > mark.key || (key == mark.key && mark.delivered && !event.orderingKeyIsUnique) else {
                return false
            }
            marks.values[index] = Mark(key: key, delivered: true)
        } else {
            marks[topic] = Mark(key: key, delivered: true)
        }
        flowing?.insert(topic)
        return true
    }

    /// A standby keeps `event` until it is promoted.
    mutating func hold(_ event: MarketEvent) {
        let topic = event.topic
        if firstSeen[topic] == nil { firstSeen[topic] = event.orderingKey }
        if held.count < Self.holdLimit { held.append(event) }
    }

    /// The outgoing connection starts noting which topics flow, for its restored replacement.
    mutating func beginHandover() {
        flowing = []
    }

    /// Stops delivering; returns the marks the replacement inherits.
    mutating func retire() -> [SubscriptionTopic: Int64] {
        role = .retired
        held = []
        return marks.mapValues(\.key)
    }

    /// Becomes the active connection after one whose marks were `inherited`: returns the held
    /// events ordered after them, oldest first, to be delivered now.
    mutating func promote(inheriting inherited: [SubscriptionTopic: Int64]) -> [MarketEvent] {
        role = .active
        marks = inherited.mapValues { Mark(key: $0, delivered: false) }
        var deliverable: [MarketEvent] = []
        deliverable.reserveCapacity(held.count)
        for event in held where admit(event) { deliverable.append(event) }
        held = []
        firstSeen = [:]
        return deliverable
    }

    /// The outgoing connection's marks of the topics that flowed during the handover: the
    /// replacement must have overlapped each of them before it takes over.
    var handoverMarks: [SubscriptionTopic: Int64] {
        guard let flowing else { return [:] }
        var result: [SubscriptionTopic: Int64] = [:]
        for topic in flowing { result[topic] = marks[topic]?.key }
        return result
    }

    /// How many of the outgoing connection's `handoverMarks` this standby has not yet
    /// overlapped: it has seen none of the topic's events, or its first one is ordered after
    /// the outgoing connection's last (the events between would be lost if it took over now).
    func topicsWithoutOverlap(_ handoverMarks: [SubscriptionTopic: Int64]) -> [SubscriptionTopic] {
        handoverMarks.compactMap { topic, mark in
            guard let first = firstSeen[topic], first <= mark else { return topic }
            return nil
        }
    }
}
