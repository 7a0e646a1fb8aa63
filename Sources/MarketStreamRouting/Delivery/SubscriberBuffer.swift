import CoreMetrics
import DequeModule
import MarketStreamCore
import Metrics
import Synchronization

/// The single-consumer, bounded, policy-driven buffer between the router and one subscriber.
///
/// The router's read path calls ``deliver(_:wakes:)``, which takes a short lock and never waits,
/// and wakes a parked consumer once its burst of deliveries is over (``DeferredWakes``); the
/// subscriber's task calls ``next()``. Ending the buffer (finish, failure, the consumer's task
/// being cancelled) calls `onTermination` once, which releases the upstream subscription.
///
/// A subscriber of one topic with the drop-oldest policy that joins another such subscriber reads
/// the topic's ``BroadcastLog`` instead of a queue of its own: the read path appends each event
/// there once for all such subscribers, and this buffer is the subscriber's cursor into it (same
/// capacity, same drops).
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
        /// Whether the current burst of deliveries already noted the parked consumer.
        var wakeNoted = false
    }

    let id: SubscriberID
    let channel: ChannelKey
    /// Snapshot waiters take only snapshot events.
    let acceptsOnlySnapshots: Bool
    /// What the buffer does when the subscriber falls behind.
    let policy: DeliveryPolicy
    private let state: Mutex<State>
    /// The topic's shared log this subscriber reads, instead of its own queue.
    let log: BroadcastLog?
    private let terminationReported = Atomic<Bool>(false)
    /// Set when the consumer went away: events it already took in a batch are not handed out.
    private let discarded = Atomic<Bool>(false)
    /// Events discarded by the policy, readable by health without taking the buffer's lock.
    private let drops: DropTally
    /// Mirrors the queue's minimum generation for events already taken in a batch.
    private let minimumGeneration = Atomic<UInt64>(0)
    private let onTermination: @Sendable (SubscriberID) -> Void

    init(
        id: SubscriberID, channel: ChannelKey, policy: DeliveryPolicy, capacity: Int,
        acceptsOnlySnapshots: Bool = false, log: BroadcastLog? = nil,
        dropCounter: Counter?, onTermination: @escaping @Sendable (SubscriberID) -> Void
    ) {
        precondition(
            log == nil || (policy == .dropOldest && !acceptsOnlySnapshots && log?.capacity == capacity),
            "only drop-oldest subscribers of the log's capacity read a broadcast log")
        self.id = id
        self.channel = channel
        self.acceptsOnlySnapshots = acceptsOnlySnapshots
        self.policy = policy
        self.state = Mutex(State(queue: DeliveryQueue(policy: policy, capacity: log == nil ? capacity : 1)))
        self.log = log
        self.drops = DropTally(counter: dropCounter)
        self.onTermination = onTermination
        log?.addReader(id, drops: drops)
    }

    /// Events discarded by the policy so far.
    var droppedCount: Int {
        // A log reader's losses are counted when it takes, or when the log next settles its
        // readers; settle now, so the figure is exact when it is read.
        log?.settle(id)
        return drops.total
    }

    /// Whether the consumer is parked waiting for an event (for tests).
    var hasParkedConsumer: Bool { state.withLock { $0.waiter != nil } }

    /// Events waiting in the buffer's own queue (none for a log reader).
    var queuedCount: Int { state.withLock { $0.queue.count } }

    /// Whether the buffer has ended.
    var isTerminated: Bool {
        if let log { return !log.isOpen(id) }
        return state.withLock { $0.terminal != nil }
    }

    /// Offers an event and wakes a parked consumer at once; never blocks. A log reader appends it
    /// to the log, for all its readers.
    func deliver(_ event: FeedEvent) {
        var wakes = DeferredWakes()
        deliver(event, wakes: &wakes)
        wakes.wake()
    }

    /// Offers an event; never blocks. A parked consumer is noted in `wakes` (once per burst)
    /// instead of being woken now. A log reader appends it to the log, for all its readers.
    func deliver(_ event: FeedEvent, wakes: inout DeferredWakes) {
        if let log {
            log.append(event, wakes: &wakes)
            return
        }
        if acceptsOnlySnapshots, event.marketEvent?.stream != .snapshot { return }
        if policy == .connectionEventsOnly, event.marketEvent != nil { return }
        var dropped = 0
        var overflowed = false
        let wake: Bool = state.withLock { state in
            guard state.terminal == nil else { return false }
            switch state.queue.offer(event) {
            case .accepted: break
            case .stale: return false
            case .dropped(let count):
                dropped = count
            case .overflowed:
                state.terminal = .failed(
                    MarketStreamError(
                        .subscriberTooSlow,
                        "subscriber \(id) on \(channel) fell \(state.queue.capacity) events behind a lossless subscription",
                        exchange: channel.exchange
                    ))
                overflowed = true
                return false
            }
            guard state.waiter != nil, !state.wakeNoted else { return false }
            state.wakeNoted = true
            return true
        }
        if wake { wakes.add(self) }
        drops.add(dropped)
        if overflowed { reportTermination() }
    }

    /// Hands a parked consumer the next event: the end of the burst that noted it.
    func wakeConsumer() {
        let resume: (CheckedContinuation<FeedEvent?, any Error>, FeedEvent)? = state.withLock { state in
            state.wakeNoted = false
            guard let waiter = state.waiter, let next = state.queue.take() else { return nil }
            state.waiter = nil
            return (waiter, next)
        }
        if let (waiter, next) = resume { waiter.resume(returning: next) }
    }

    /// Ends the stream after the buffered events; with an error, the consumer sees it after them.
    func finish(throwing error: MarketStreamError? = nil) {
        if let log {
            log.finish(id, failure: error)
            reportTermination()
            return
        }
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
        if log != nil {
            // The log is shared: its readers skip stale events as they take them.
            minimumGeneration.max(generation.rawValue, ordering: .releasing)
            return
        }
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
        if let log { return try await fill(&batch, limit: limit, from: log) }
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

    /// ``fill(_:limit:)`` from the topic's broadcast log.
    private nonisolated(nonsending) func fill(_ batch: inout Deque<FeedEvent>, limit: Int, from log: BroadcastLog)
        async throws -> UInt64?
    {
        while true {
            let generation = minimumGeneration.load(ordering: .acquiring)
            let taken = log.take(for: id, into: &batch, limit: limit, minimumGeneration: generation)
            drops.add(taken.dropped)
            switch taken.status {
            case .taken:
                if !batch.isEmpty { return generation }
            case .empty:
                await withTaskCancellationHandler {
                    await log.wait(for: id)
                } onCancel: {
                    self.cancel()
                }
            case .ended:
                return nil
            case .failed(let error):
                throw error
            }
        }
    }

    /// The next event, `nil` at the end; throws the failure that ended the subscription.
    nonisolated(nonsending) func next() async throws -> FeedEvent? {
        if log != nil {
            var batch = Deque<FeedEvent>()
            while true {
                guard let filteredAt = try await fill(&batch, limit: 1) else { return nil }
                while let event = batch.popFirst() {
                    switch handOut(event, filteredAt: filteredAt) {
                    case .deliver: return event
                    case .skip: continue
                    case .end: return nil
                    }
                }
            }
        }
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
        if let log {
            log.removeReader(id)
            reportTermination()
            return
        }
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
        if !terminationReported.exchange(true, ordering: .acquiringAndReleasing) { onTermination(id) }
    }
}
