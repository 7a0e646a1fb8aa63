import Synchronization

/// The clock a replay moves: the router's debounce, keepalive, backoff and silence watchdog sleep
/// on it, and ``ReplayExchange`` advances it to each record's time.
///
/// Moving it costs nothing while no sleeper is due, which is almost always (a frame every
/// millisecond, a timer every second): the replay then runs at the decoder's pace. When sleepers
/// are due it wakes them in deadline order, the clock standing at each one's deadline, and yields
/// so that they run before the replay goes on, as a test clock does.
public final class ReplayClock: Clock, Sendable {
    /// A point on the replay's time line: the time since the replay's start.
    public struct Instant: InstantProtocol {
        /// Time since the clock's zero.
        public var offset: Duration

        public init(offset: Duration) {
            self.offset = offset
        }

        public func advanced(by duration: Duration) -> Instant { Instant(offset: offset + duration) }
        public func duration(to other: Instant) -> Duration { other.offset - offset }
        public static func < (lhs: Instant, rhs: Instant) -> Bool { lhs.offset < rhs.offset }
    }

    private struct Sleeper {
        var deadline: Duration
        var continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var now: Duration = .zero
        var sleepers: [UInt64: Sleeper] = [:]
        /// Sleeps cancelled before their continuation was stored.
        var cancelled: Set<UInt64> = []
        var nextID: UInt64 = 0
    }

    private let state = Mutex(State())
    /// How many times ``advance(to:)`` yields after waking sleepers, so they run first.
    private let yieldsAfterWaking: Int

    /// Creates a clock at zero.
    /// - Parameter yieldsAfterWaking: Yields after waking sleepers (each to a fresh task of low
    ///   priority, so that woken work on any thread gets to run).
    public init(yieldsAfterWaking: Int = 20) {
        self.yieldsAfterWaking = yieldsAfterWaking
    }

    public var now: Instant { Instant(offset: state.withLock { $0.now }) }

    public var minimumResolution: Duration { .zero }

    /// Sleepers not yet woken.
    public var pendingSleepers: Int { state.withLock { $0.sleepers.count } }

    /// The earliest deadline of a sleeper not yet woken, if any.
    public var nextDeadline: Instant? {
        state.withLock { state in state.sleepers.values.lazy.map(\.deadline).min().map(Instant.init(offset:)) }
    }

    public func sleep(until deadline: Instant, tolerance: Duration? = nil) async throws {
        try Task.checkCancellation()
        let id = state.withLock { state in
            state.nextID += 1
            return state.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let outcome = state.withLock { state -> Result<Void, any Error>? in
                    if state.cancelled.remove(id) != nil { return .failure(CancellationError()) }
                    if deadline.offset <= state.now { return .success(()) }
                    state.sleepers[id] = Sleeper(deadline: deadline.offset, continuation: continuation)
                    return nil
                }
                if let outcome { continuation.resume(with: outcome) }
            }
        } onCancel: {
            let sleeper = state.withLock { state -> Sleeper? in
                if let sleeper = state.sleepers.removeValue(forKey: id) { return sleeper }
                state.cancelled.insert(id)
                return nil
            }
            sleeper?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Moves the clock forward by `duration`.
    /// - Parameter settling: Whether to let other work run first, so that a sleep about to begin
    ///   begins before the clock moves (when the replay waits for the router to act).
    public func advance(by duration: Duration, settling: Bool = false) async {
        await advance(to: now.advanced(by: duration), settling: settling)
    }

    /// Moves the clock to `deadline` (never back), waking every sleeper due on the way, earliest
    /// first, with the clock at its deadline.
    /// - Parameter settling: Whether to let other work run first (see ``advance(by:settling:)``).
    public func advance(to deadline: Instant, settling: Bool = false) async {
        if settling { await settle() }
        while true {
            let due = state.withLock { state -> Sleeper? in
                guard
                    let (id, sleeper) = state.sleepers.min(by: { $0.value.deadline < $1.value.deadline }),
                    sleeper.deadline <= deadline.offset
                else {
                    state.now = max(state.now, deadline.offset)
                    return nil
                }
                state.sleepers[id] = nil
                state.now = max(state.now, sleeper.deadline)
                return sleeper
            }
            guard let due else { break }
            due.continuation.resume()
            await settle()
        }
    }

    /// Lets woken work run (and schedule its next sleep) before the clock moves on: the caller
    /// waits while a task of the lowest priority yields ``yieldsAfterWaking`` times, so that work
    /// woken on any thread runs first.
    private func settle() async {
        await Task.detached(priority: .background) { [yieldsAfterWaking] in
            for _ in 0..<yieldsAfterWaking { await Task.yield() }
        }.value
    }
}
