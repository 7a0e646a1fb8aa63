import CoreMetrics
import Logging
import MarketStreamCore
import Metrics
import Synchronization

/// A planned rotation (``ExchangeChannel/connectionLifetime``): the replacement restores the set
/// while the outgoing session still delivers, and takes over once every flowing topic overlapped.
extension ConnectionSession {
    /// Starts noting which topics flow, for a replacement that has been restored.
    func beginHandover() {
        inbound.withLock { $0.beginHandover() }
    }

    /// Stops delivering and closes once a replacement has taken over; returns the marks it inherits.
    func retire() -> [SubscriptionTopic: Int64] {
        let marks = inbound.withLock { $0.retire() }
        retirement.signal()
        return marks
    }

    /// Takes over from `outgoing`: it stops delivering, this connection's held events ordered
    /// after its last delivered ones are routed, and this connection is the channel's from now on.
    func takeOver(from outgoing: ConnectionSession, topicsWithoutOverlap: [SubscriptionTopic]) {
        guard takingOver.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged
        else { return }
        let inherited = outgoing.retire()
        shard.activeConnection.store(number, ordering: .releasing)
        let (wallTime, established) = lifecycle.withLock { ($0.establishedWallTime, $0.establishedAt) }
        shard.link.withLock { $0.connectedAt = wallTime }
        if let established { shard.machine.withLock { $0.connected(at: established) } }
        var wakes = DeferredWakes()
        inbound.withLock { state in
            let events = state.promote(inheriting: inherited)
            isStandby.store(false, ordering: .releasing)
            let routes = runtime.routes.value
            for event in events { runtime.route(event, with: routes, logger: logger, wakes: &wakes) }
        }
        wakes.wake()
        runtime.rotations.add(1, ordering: .relaxed)
        if !topicsWithoutOverlap.isEmpty {
            runtime.rotationsWithoutOverlap.add(1, ordering: .relaxed)
            logger.warning(
                "rotated before every topic overlapped",
                metadata: [
                    "count": "\(topicsWithoutOverlap.count)",
                    "topics": "\(topicsWithoutOverlap.prefix(5).map(\.description).joined(separator: " "))",
                ])
        } else {
            logger.debug("rotated")
        }
        takeover.signal()
    }

    /// For a restored replacement: watches for the overlap window which topics flow on the
    /// outgoing connection, then takes over once each of them has overlapped (its events are on
    /// both connections), or when it holds all it may. The window makes a topic that flows count
    /// even if none of its events arrived yet: taking over on an empty set would lose what the
    /// venue sent before this connection's subscriptions took effect.
    /// - Returns: When to check again, while it has not taken over.
    func takeOverWhenOverlapped(now: Duration) -> Duration? {
        guard let outgoing, isStandby.load(ordering: .relaxed) else { return nil }
        let startedAt = lifecycle.withLock { state -> Duration? in
            defer { if state.handoverStartedAt == nil { state.handoverStartedAt = now } }
            return state.handoverStartedAt
        }
        guard let startedAt else {
            outgoing.beginHandover()
            return now + max(overlapWindow, .milliseconds(1))
        }
        let marks = outgoing.inbound.withLock { $0.handoverMarks }
        let (missing, full) = inbound.withLock { ($0.topicsWithoutOverlap(marks), $0.isHoldingLimit) }
        guard (now >= startedAt + overlapWindow && missing.isEmpty) || full else {
            return now + .milliseconds(20)
        }
        takeOver(from: outgoing, topicsWithoutOverlap: missing)
        return nil
    }

    /// For a replacement whose outgoing connection has closed: takes over at once if it has been
    /// restored (whatever has not overlapped yet counts as a rotation without overlap).
    /// - Returns: Whether it took over.
    func takeOverNow() -> Bool {
        guard let outgoing, isStandby.load(ordering: .acquiring),
            lifecycle.withLock({ $0.handoverStartedAt != nil })
        else { return false }
        let marks = outgoing.inbound.withLock { $0.handoverMarks }
        let missing = inbound.withLock { $0.topicsWithoutOverlap(marks) }
        takeOver(from: outgoing, topicsWithoutOverlap: missing)
        return true
    }
}
