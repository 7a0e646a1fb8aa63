import CoreMetrics
import DequeModule
import MarketStreamCore
import Metrics
import Synchronization

/// The single-consumer, bounded, policy-driven buffer between the router and one subscriber.
///
/// The router's read path calls ``deliver(_:)``, which takes a short lock and never waits; the
/// subscriber's task calls ``next()``. Ending the buffer (finish, failure, the consumer's task
/// being cancelled) calls `onTermination` once, which releases the upstream subscription.
@usableFromInline
final class SubscriberBuffer: Sendable {
    private enum Terminal: Sendable {
        case finished
        case failed(MarketStreamError)
    }

    private struct State: Sendable {
        var queue: DeliveryQueue
        var waiter: CheckedContinuation<FeedEvent?, any Error>?
        var terminal: Terminal?
        var terminationReported = false
    }

    let id: SubscriberID
    let channel: ChannelKey
    /// Snapshot waiters take only snapshot events.
    let acceptsOnlySnapshots: Bool
    private let state: Mutex<State>
    /// Set when the consumer went away: events it already took in a batch are not handed out.
    private let discarded = Atomic<Bool>(false)
    /// Events discarded by the policy, readable by health without taking the buffer's lock.
    private let dropped = Atomic<Int>(0)
    /// Mirrors the queue's minimum generation for events already taken in a batch.
    private let minimumGeneration = Atomic<UInt64>(0)
    private let dropCounter: Counter?
    private let onTermination: @Sendable (SubscriberID) -> Void

    init(
        id: SubscriberID, channel: ChannelKey, policy: DeliveryPolicy, capacity: Int,
        acceptsOnlySnapshots: Bool = false,
        dropCounter: Counter?, onTermination: @escaping @Sendable (SubscriberID) -> Void
    ) {
        self.id = id
        self.channel = channel
        self.acceptsOnlySnapshots = acceptsOnlySnapshots
        self.state = Mutex(State(queue: DeliveryQueue(policy: policy, capacity: capacity)))
        self.dropCounter = dropCounter
        self.onTermination = onTermination
    }

    /// Events discarded by the policy so far.
    var droppedCount: Int { dropped.load(ordering: .relaxed) }

    /// Whether the buffer has ended.
    var isTerminated: Bool { state.withLock { $0.terminal != nil } }

    /// Offers an event; never blocks.
    func deliver(_ event: FeedEvent) {
        if acceptsOnlySnapshots, event.marketEvent?.stream != .snapshot { return }
        var dropped = 0
        var overflowed = false
        let resume: (CheckedContinuation<FeedEvent?, any Error>, FeedEvent)? = state.withLock { state in
            guard state.terminal == nil else { return nil }
            switch state.queue.offer(event) {
            case .accepted: break
            case .stale: return nil
            case .dropped(let count):
                dropped = count
                self.dropped.add(count, ordering: .relaxed)
            case .overflowed:
                state.terminal = .failed(
                    MarketStreamError(
                        .subscriberTooSlow,
                        "subscriber \(id) on \(channel) fell \(state.queue.capacity) events behind a lossless subscription",
                        exchange: channel.exchange
                    ))
                overflowed = true
                return nil
            }
            guard let waiter = state.waiter, let next = state.queue.take() else { return nil }
            state.waiter = nil
            return (waiter, next)
        }
        if let (waiter, next) = resume { waiter.resume(returning: next) }
        if dropped > 0 { dropCounter?.increment(by: dropped) }
        if overflowed { reportTermination() }
    }

    /// Ends the stream after the buffered events; with an error, the consumer sees it after them.
    func finish(throwing error: MarketStreamError? = nil) {
        let waiter: CheckedContinuation<FeedEvent?, any Error>? = state.withLock { state in
            guard state.terminal == nil else { return nil }
            state.terminal = error.map { .failed($0) } ?? .finished
            guard state.queue.isEmpty, let waiter = state.waiter else { return nil }
            state.waiter = nil
            return waiter
        }
        if let waiter {
            if let error { waiter.resume(throwing: error) } else { waiter.resume(returning: nil) }
        }
        reportTermination()
    }

    /// Discards buffered market events older than `generation`, now and later.
    func advanceGeneration(to generation: ConnectionGeneration) {
        state.withLock { state in
            state.queue.advanceGeneration(to: generation)
            minimumGeneration.store(state.queue.minimumGeneration.rawValue, ordering: .releasing)
        }
    }

    /// What to do with an event a consumer took in a batch.
    @usableFromInline
    enum HandOut {
        /// Hand it out.
        case deliver
        /// Its connection generation went stale since: skip it.
        case skip
        /// The consumer went away: the iteration ends.
        case end
    }

    /// Whether an event taken in a batch may still be handed out.
    /// - Parameters:
    ///   - event: An event ``fill(_:limit:)`` took.
    ///   - filteredAt: The minimum generation the batch was taken under; while it has not
    ///     advanced, the event itself need not be looked at.
    @usableFromInline
    func handOut(_ event: FeedEvent, filteredAt: UInt64) -> HandOut {
        if discarded.load(ordering: .acquiring) { return .end }
        let minimum = minimumGeneration.load(ordering: .acquiring)
        if minimum == filteredAt { return .deliver }
        guard case .market(let market) = event, market.generation != .none else { return .deliver }
        return market.generation.rawValue >= minimum ? .deliver : .skip
    }

    /// Moves up to `limit` deliverable events into `batch` with one lock (trading buffers when
    /// all of them fit), suspending until there is at least one.
    /// - Returns: The minimum generation the events were taken under (for
    ///   ``handOut(_:filteredAt:)``), or `nil` at the end.
    /// - Throws: The failure that ended the subscription.
    nonisolated(nonsending) func fill(_ batch: inout Deque<FeedEvent>, limit: Int) async throws -> UInt64? {
        let generation = state.withLock { state -> UInt64? in
            guard !state.queue.isEmpty else { return nil }
            state.queue.take(into: &batch, limit: limit)
            return state.queue.minimumGeneration.rawValue
        }
        if let generation { return generation }
        guard let event = try await next() else { return nil }
        batch.append(event)
        // `next()` took it under the generation current then, never newer than the latest.
        return 0
    }

    /// The next event, `nil` at the end; throws the failure that ended the subscription.
    nonisolated(nonsending) func next() async throws -> FeedEvent? {
        enum Immediate {
            case event(FeedEvent)
            case end
            case error(MarketStreamError)
            case suspend
        }
        let immediate: Immediate = state.withLock { state in
            if let event = state.queue.take() { return .event(event) }
            switch state.terminal {
            case .finished: return .end
            case .failed(let error):
                state.terminal = .finished  // Throw once, then end.
                return .error(error)
            case nil: return .suspend
            }
        }
        switch immediate {
        case .event(let event): return event
        case .end: return nil
        case .error(let error): throw error
        case .suspend: break
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<FeedEvent?, any Error>) in
                let outcome: Immediate = state.withLock { state in
                    if let event = state.queue.take() { return .event(event) }
                    switch state.terminal {
                    case .finished: return .end
                    case .failed(let error):
                        state.terminal = .finished
                        return .error(error)
                    case nil:
                        if Task.isCancelled {
                            state.terminal = .finished
                            return .end
                        }
                        precondition(state.waiter == nil, "a subscription has one consumer at a time")
                        state.waiter = continuation
                        return .suspend
                    }
                }
                switch outcome {
                case .event(let event): continuation.resume(returning: event)
                case .end: continuation.resume(returning: nil)
                case .error(let error): continuation.resume(throwing: error)
                case .suspend: break
                }
            }
        } onCancel: {
            self.cancel()
        }
    }

    /// Ends the buffer at once, discarding what it holds (the consumer went away).
    func cancel() {
        discarded.store(true, ordering: .releasing)
        let waiter: CheckedContinuation<FeedEvent?, any Error>? = state.withLock { state in
            if state.terminal == nil { state.terminal = .finished }
            while state.queue.take() != nil {}
            let waiter = state.waiter
            state.waiter = nil
            return waiter
        }
        waiter?.resume(returning: nil)
        reportTermination()
    }

    private func reportTermination() {
        let first = state.withLock { state in
            defer { state.terminationReported = true }
            return !state.terminationReported
        }
        if first { onTermination(id) }
    }
}
