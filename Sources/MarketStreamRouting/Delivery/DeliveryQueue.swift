import DequeModule
import MarketStreamCore
import OrderedCollections

/// One subscriber's bounded buffer and its policy; performs no I/O and never blocks.
struct DeliveryQueue: Sendable {
    enum Offer: Equatable, Sendable {
        /// Buffered without loss.
        case accepted
        /// Buffered, but `dropped` older or equal-key events were discarded (or the event itself).
        case dropped(Int)
        /// A lossless buffer is full: the subscription must fail.
        case overflowed
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
        switch policy.base {
        case .dropOldest:
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

    /// The next deliverable event, skipping market events of stale generations.
    mutating func take() -> FeedEvent? {
        while true {
            let next: FeedEvent?
            if policy.base == .coalesceByKey {
                next = coalesced.isEmpty ? nil : coalesced.removeFirst().value
            } else {
                next = fifo.popFirst()
            }
            guard let event = next else { return nil }
            if case .market(let market) = event, market.generation < minimumGeneration,
                market.generation != .none
            {
                continue
            }
            return event
        }
    }

    /// From now on, market events of generations before `generation` are discarded.
    mutating func advanceGeneration(to generation: ConnectionGeneration) {
        minimumGeneration = max(minimumGeneration, generation)
    }
}

extension Duration {
    var nanosecondsValue: Int64 {
        let (seconds, attoseconds) = components
        return seconds &* 1_000_000_000 &+ attoseconds / 1_000_000_000
    }
}
