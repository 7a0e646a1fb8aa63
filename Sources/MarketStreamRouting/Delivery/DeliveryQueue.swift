import DequeModule
import MarketStreamCore
import OrderedCollections

/// One subscriber's bounded buffer and its policy; performs no I/O and never blocks.
///
/// It never holds a market event of a generation older than ``minimumGeneration``: such events
/// are refused on offer and purged when the generation advances, so taking needs no check.
struct DeliveryQueue: Sendable {
    enum Offer: Equatable, Sendable {
        /// Buffered without loss.
        case accepted
        /// Buffered, but `dropped` older or equal-key events were discarded (or the event itself).
        case dropped(Int)
        /// A lossless buffer is full: the subscription must fail.
        case overflowed
        /// A market event of a connection generation the subscriber has moved past: not buffered.
        case stale
    }

    private enum CoalesceKey: Hashable, Sendable {
        case topic(SubscriptionTopic)
        case connection(ChannelKey)
    }

    let policy: DeliveryPolicy
    let capacity: Int
    private var fifo: Deque<FeedEvent> = []
    private var coalesced: OrderedDictionary<CoalesceKey, FeedEvent> = [:]
    private var lastAccepted: [SubscriptionTopic: UnixTime] = [:]
    /// Market events of older generations are never handed out.
    private(set) var minimumGeneration = ConnectionGeneration.none

    init(policy: DeliveryPolicy, capacity: Int) {
        precondition(capacity >= 1, "a subscriber buffer holds at least one event")
        self.policy = policy
        self.capacity = capacity
    }

    var count: Int { policy.base == .coalesceByKey ? coalesced.count : fifo.count }

    var isEmpty: Bool { count == 0 }

    mutating func offer(_ event: FeedEvent) -> Offer {
        if isStale(event) { return .stale }
        switch policy.base {
        case .dropOldest, .connectionEventsOnly:
            return appendDroppingOldest(event)
        case .throttle(let interval):
            if case .market(let market) = event {
                let topic = market.topic
                if let last = lastAccepted[topic],
                    market.receivedAt.nanoseconds - last.nanoseconds < interval.nanosecondsValue
                {
                    return .dropped(1)
                }
                lastAccepted[topic] = market.receivedAt
            }
            return appendDroppingOldest(event)
        case .lossless:
            guard fifo.count < capacity else { return .overflowed }
            fifo.append(event)
            return .accepted
        case .coalesceByKey:
            let key: CoalesceKey
            switch event {
            case .market(let market): key = .topic(market.topic)
            case .connection(let connection): key = .connection(connection.channel)
            }
            if coalesced.updateValue(event, forKey: key) != nil { return .dropped(1) }
            if coalesced.count > capacity {
                coalesced.removeFirst()
                return .dropped(1)
            }
            return .accepted
        }
    }

    private mutating func appendDroppingOldest(_ event: FeedEvent) -> Offer {
        fifo.append(event)
        guard fifo.count > capacity else { return .accepted }
        fifo.removeFirst()
        return .dropped(1)
    }

    /// The next event.
    mutating func take() -> FeedEvent? {
        if policy.base == .coalesceByKey {
            return coalesced.isEmpty ? nil : coalesced.removeFirst().value
        }
        return fifo.popFirst()
    }

    /// Moves up to `limit` events to the end of `batch`, in order: when everything fits into an
    /// empty batch, the two buffers trade places, moving no event at all.
    mutating func take(into batch: inout Deque<FeedEvent>, limit: Int) {
        if policy.base != .coalesceByKey, batch.isEmpty, fifo.count <= limit {
            swap(&batch, &fifo)
            return
        }
        var count = 0
        while count < limit, let event = take() {
            batch.append(event)
            count += 1
        }
    }

    /// From now on, market events of generations before `generation` are discarded; those
    /// buffered now are removed.
    mutating func advanceGeneration(to generation: ConnectionGeneration) {
        guard generation > minimumGeneration else { return }
        minimumGeneration = generation
        if policy.base == .coalesceByKey {
            coalesced.removeAll { Self.isStale($0.value, before: generation) }
        } else {
            fifo.removeAll { Self.isStale($0, before: generation) }
        }
    }

    private func isStale(_ event: FeedEvent) -> Bool {
        minimumGeneration != .none && Self.isStale(event, before: minimumGeneration)
    }

    private static func isStale(_ event: FeedEvent, before minimum: ConnectionGeneration) -> Bool {
        guard case .market(let market) = event else { return false }
        return market.generation != .none && market.generation < minimum
    }
}

extension Duration {
    var nanosecondsValue: Int64 {
        let (seconds, attoseconds) = components
        return seconds &* 1_000_000_000 &+ attoseconds / 1_000_000_000
    }
}
