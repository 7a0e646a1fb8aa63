import DequeModule
import MarketStreamCore
import Synchronization

/// One topic's events for the subscribers that follow that topic alone with the drop-oldest
/// policy (all but the first, which keeps a buffer of its own): the read path appends each event
/// once, whatever the number of subscribers, and each subscriber reads from its own cursor.
///
/// The log keeps the last `capacity` events. A reader that falls further behind loses the
/// oldest of them, counted as its drops — exactly what its own drop-oldest buffer of the same
/// capacity would have lost. Slots every reader has passed are released (checked every
/// ``releaseInterval`` appends), so a log whose readers keep up holds almost nothing.
///
/// Appending, taking a batch and waiting take one short lock, never held across a wait; a reader
/// that finds nothing new parks a continuation that the next append resumes.
final class BroadcastLog: Sendable {
    /// What a reader gets from ``take(for:into:limit:minimumGeneration:)``.
    struct Taken: Sendable {
        enum Status: Sendable {
            /// Events were taken (possibly none, when only stale ones were there).
            case taken
            /// Nothing is there yet: wait.
            case empty
            /// The reader reached its end.
            case ended
            /// The reader was ended with this error, after its events (reported once).
            case failed(MarketStreamError)
        }
        var status: Status
        /// Events the reader lost by falling more than `capacity` behind.
        var dropped: Int
    }

    private struct Reader: Sendable {
        /// The sequence number of the next event this reader takes.
        var cursor: UInt64
        /// Set when the reader was finished: events from here on are not its.
        var end: UInt64?
        var failure: MarketStreamError?
        /// Where its losses are counted.
        let drops: DropTally
    }

    private struct State: Sendable {
        /// Slot `sequence % capacity` holds event `sequence` while it is retained.
        var slots: [FeedEvent?]
        /// The connection generation of each slot's event (0 for none), read once by the writer so
        /// that readers compare integers instead of opening every shared event.
        var generations: [UInt64]
        /// The sequence number of the next event appended (events ever appended).
        var head: UInt64 = 0
        /// Slots of sequence numbers below this were released.
        var released: UInt64 = 0
        var readers: [SubscriberID: Reader] = [:]
        /// Readers parked until the next append or their end.
        var waiters: [(id: SubscriberID, continuation: UnsafeContinuation<Void, Never>)] = []
        var appendsSinceRelease = 0
    }

    /// How many events a reader may fall behind before it loses the oldest.
    let capacity: Int
    private let state: Mutex<State>
    /// Appends between two passes that release slots every reader has passed.
    static let releaseInterval = 32

    init(capacity: Int) {
        precondition(capacity >= 1, "a broadcast log holds at least one event")
        self.capacity = capacity
        self.state = Mutex(
            State(slots: Array(repeating: nil, count: capacity), generations: Array(repeating: 0, count: capacity)))
    }

    /// Readers registered now (for tests and health).
    var readerCount: Int { state.withLock { $0.readers.count } }

    /// Events currently retained by the log (for tests: a log whose readers keep up holds few).
    var retainedCount: Int { state.withLock { state in state.slots.reduce(0) { $0 + ($1 == nil ? 0 : 1) } } }

    /// Registers a reader that receives the events appended from now on.
    /// - Parameters:
    ///   - id: The subscriber.
    ///   - drops: Where the events it loses by falling behind are counted.
    func addReader(_ id: SubscriberID, drops: DropTally) {
        state.withLock { state in state.readers[id] = Reader(cursor: state.head, drops: drops) }
    }

    /// Appends one event for every reader and wakes the readers waiting for it.
    func append(_ event: FeedEvent) {
        var wakes = DeferredWakes()
        append(event, wakes: &wakes)
        wakes.wake()
    }

    /// Appends one event for every reader; the readers waiting for it are noted in `wakes`.
    func append(_ event: FeedEvent, wakes: inout DeferredWakes) {
        let generation: UInt64
        if case .market(let market) = event { generation = market.generation.rawValue } else { generation = 0 }
        var lapped: [(DropTally, Int)] = []
        let woken = state.withLock { state -> [(id: SubscriberID, continuation: UnsafeContinuation<Void, Never>)] in
            let capacity = UInt64(self.capacity)
            let index = Int(state.head % capacity)
            state.slots[index] = event
            state.generations[index] = generation
            state.head += 1
            state.appendsSinceRelease += 1
            if state.appendsSinceRelease >= Self.releaseInterval {
                Self.releasePassedSlots(&state, capacity: capacity, lapped: &lapped)
            }
            guard !state.waiters.isEmpty else { return [] }
            var woken: [(id: SubscriberID, continuation: UnsafeContinuation<Void, Never>)] = []
            swap(&woken, &state.waiters)
            return woken
        }
        for (drops, count) in lapped { drops.add(count) }
        if !woken.isEmpty { wakes.add(woken.lazy.map(\.continuation)) }
    }

    /// Counts the losses of a reader that fell more than `capacity` behind (moving its cursor to
    /// the oldest event still held), so its drop count is exact when read.
    func settle(_ id: SubscriberID) {
        let lost = state.withLock { state -> (DropTally, Int)? in
            guard var reader = state.readers[id] else { return nil }
            let lost = Self.skipOverwritten(&reader, head: state.head, capacity: UInt64(capacity))
            state.readers[id] = reader
            return lost > 0 ? (reader.drops, lost) : nil
        }
        if let (drops, count) = lost { drops.add(count) }
    }

    /// Moves a lapped reader's cursor to the oldest event still held.
    /// - Returns: How many events it lost.
    private static func skipOverwritten(_ reader: inout Reader, head: UInt64, capacity: UInt64) -> Int {
        let oldest = head > capacity ? head - capacity : 0
        guard reader.cursor < oldest else { return 0 }
        let resumeAt = min(oldest, reader.end ?? head)
        defer { reader.cursor = resumeAt }
        return Int(resumeAt - reader.cursor)
    }

    /// Counts the losses of lapped readers and releases the slots below every reader's cursor.
    private static func releasePassedSlots(_ state: inout State, capacity: UInt64, lapped: inout [(DropTally, Int)]) {
        state.appendsSinceRelease = 0
        // Slots below `oldest` already hold newer events: never release through them.
        let oldest = state.head > capacity ? state.head - capacity : 0
        var lowest = state.head
        var overtaken: [SubscriberID] = []
        for (id, reader) in state.readers where reader.cursor < lowest {
            if reader.cursor < oldest { overtaken.append(id) }
            lowest = reader.cursor
        }
        for id in overtaken {
            guard var reader = state.readers[id] else { continue }
            let lost = skipOverwritten(&reader, head: state.head, capacity: capacity)
            if lost > 0 { lapped.append((reader.drops, lost)) }
            state.readers[id] = reader
        }
        lowest = max(lowest, oldest)
        let from = max(state.released, oldest)
        if lowest > from {
            for sequence in from..<lowest { state.slots[Int(sequence % capacity)] = nil }
        }
        state.released = max(state.released, lowest)
    }

    /// Moves up to `limit` of the reader's events into `batch`, skipping market events of
    /// connection generations below `minimumGeneration` (stale, not counted as drops).
    func take(
        for id: SubscriberID, into batch: inout Deque<FeedEvent>, limit: Int, minimumGeneration: UInt64
    ) -> Taken {
        state.withLock { state in
            guard var reader = state.readers[id] else { return Taken(status: .ended, dropped: 0) }
            let capacity = UInt64(self.capacity)
            let available = reader.end ?? state.head
            // Fallen more than `capacity` behind: the oldest events were overwritten.
            let dropped = Self.skipOverwritten(&reader, head: state.head, capacity: capacity)
            if reader.cursor >= available {
                state.readers[id] = reader
                if reader.end != nil {
                    if let failure = reader.failure {
                        state.readers[id]?.failure = nil
                        return Taken(status: .failed(failure), dropped: dropped)
                    }
                    state.readers[id] = nil
                    return Taken(status: .ended, dropped: dropped)
                }
                return Taken(status: .empty, dropped: dropped)
            }
            var taken = 0
            while reader.cursor < available, taken < limit {
                let index = Int(reader.cursor % capacity)
                reader.cursor += 1
                // Market events of an older connection are stale; those of none (REST) never are.
                let generation = state.generations[index]
                guard generation == 0 || generation >= minimumGeneration, let event = state.slots[index] else {
                    continue
                }
                batch.append(event)
                taken += 1
            }
            state.readers[id] = reader
            return Taken(status: .taken, dropped: dropped)
        }
    }

    /// Suspends until the reader has something to take or has ended; returns at once if so.
    func wait(for id: SubscriberID) async {
        await withUnsafeContinuation { (continuation: UnsafeContinuation<Void, Never>) in
            let ready = state.withLock { state -> Bool in
                guard let reader = state.readers[id] else { return true }
                if reader.end != nil || reader.cursor < state.head { return true }
                state.waiters.append((id, continuation))
                return false
            }
            if ready { continuation.resume() }
        }
    }

    /// Ends a reader after the events appended so far (with `failure`, reported after them).
    func finish(_ id: SubscriberID, failure: MarketStreamError?) {
        let waiter = state.withLock { state -> UnsafeContinuation<Void, Never>? in
            guard state.readers[id] != nil, state.readers[id]?.end == nil else { return nil }
            state.readers[id]?.end = state.head
            state.readers[id]?.failure = failure
            return Self.removeWaiter(id, from: &state)
        }
        waiter?.resume()
    }

    /// Removes a reader at once; what it did not take is no longer its.
    func removeReader(_ id: SubscriberID) {
        let waiter = state.withLock { state -> UnsafeContinuation<Void, Never>? in
            state.readers[id] = nil
            return Self.removeWaiter(id, from: &state)
        }
        waiter?.resume()
    }

    /// Whether the reader has events to take (or losses to count) now.
    func hasEvents(for id: SubscriberID) -> Bool {
        state.withLock { state in state.readers[id].map { $0.cursor < ($0.end ?? state.head) } ?? false }
    }

    /// Whether the reader is still registered and not finished.
    func isOpen(_ id: SubscriberID) -> Bool {
        state.withLock { state in state.readers[id].map { $0.end == nil } ?? false }
    }

    private static func removeWaiter(_ id: SubscriberID, from state: inout State) -> UnsafeContinuation<Void, Never>? {
        guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
        return state.waiters.remove(at: index).continuation
    }
}
