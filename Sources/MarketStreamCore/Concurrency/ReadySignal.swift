import Synchronization

/// A value that becomes known once (a port bound, a service serving, a replay's end), for any
/// number of waiters, or a failure that says it never will. Only the first outcome counts.
///
/// Unlike a continuation stored by hand, a wait ends when the waiting task is cancelled, so a
/// program interrupted while it waits for something that never comes still exits.
///
/// ```swift
/// let listening = ReadySignal<Int>()
/// // The server, once bound:      listening.resolve(port)
/// // or, when it cannot bind:     listening.fail(error)
/// let port = try await listening.wait()
/// ```
public final class ReadySignal<Value: Sendable>: Sendable {
    private struct State: Sendable {
        var outcome: Result<Value, any Error>?
        var waiters: [UInt64: CheckedContinuation<Value, any Error>] = [:]
        /// Waits cancelled before their continuation was stored.
        var cancelled: Set<UInt64> = []
        var nextID: UInt64 = 0
    }

    private let state = Mutex(State())

    /// Creates a signal with no outcome yet.
    public init() {}

    /// Records the value and wakes the waiters.
    /// - Returns: Whether this was the first outcome (a later one is ignored).
    @discardableResult
    public func resolve(_ value: Value) -> Bool { settle(.success(value)) }

    /// Records that the value will never come (what stopped it) and wakes the waiters.
    /// - Returns: Whether this was the first outcome (a later one is ignored).
    @discardableResult
    public func fail(_ error: any Error) -> Bool { settle(.failure(error)) }

    private func settle(_ outcome: Result<Value, any Error>) -> Bool {
        let waiters = state.withLock { state -> [CheckedContinuation<Value, any Error>]? in
            guard state.outcome == nil else { return nil }
            state.outcome = outcome
            defer { state.waiters.removeAll() }
            return Array(state.waiters.values)
        }
        guard let waiters else { return false }
        for waiter in waiters { waiter.resume(with: outcome) }
        return true
    }

    /// The value, once known.
    /// - Throws: The failure given to ``fail(_:)``, or `CancellationError` when the calling task
    ///   is cancelled first.
    public func wait() async throws -> Value {
        let id = state.withLock { state in
            state.nextID += 1
            return state.nextID
        }
        // A cancellation that found no stored continuation leaves its mark: cleared on the way out.
        defer { state.withLock { _ = $0.cancelled.remove(id) } }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (waiter: CheckedContinuation<Value, any Error>) in
                let outcome = state.withLock { state -> Result<Value, any Error>? in
                    if let outcome = state.outcome { return outcome }
                    if state.cancelled.remove(id) != nil { return .failure(CancellationError()) }
                    state.waiters[id] = waiter
                    return nil
                }
                if let outcome { waiter.resume(with: outcome) }
            }
        } onCancel: {
            let waiter = state.withLock { state in
                let waiter = state.waiters.removeValue(forKey: id)
                if waiter == nil { state.cancelled.insert(id) }
                return waiter
            }
            waiter?.resume(throwing: CancellationError())
        }
    }
}
