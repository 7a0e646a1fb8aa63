import Synchronization

/// A value that becomes known once (a port bound, a service ready), for anyone who waits for it,
/// or a failure that says it never will. Only the first resolution or failure counts.
package final class ReadySignal<Value: Sendable>: Sendable {
    private struct State: Sendable {
        var outcome: Result<Value, any Error>?
        var waiters: [UInt64: CheckedContinuation<Value, any Error>] = [:]
        /// Waits cancelled before their continuation was stored.
        var cancelled: Set<UInt64> = []
        var nextID: UInt64 = 0
    }

    private let state = Mutex(State())

    package init() {}

    /// Records the value and wakes the waiters.
    package func resolve(_ value: Value) { settle(.success(value)) }

    /// Records that the value will never come (what stopped it) and wakes the waiters.
    package func fail(_ error: any Error) { settle(.failure(error)) }

    private func settle(_ outcome: Result<Value, any Error>) {
        let waiters = state.withLock { state -> [CheckedContinuation<Value, any Error>] in
            guard state.outcome == nil else { return [] }
            state.outcome = outcome
            defer { state.waiters.removeAll() }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume(with: outcome) }
    }

    /// The value, once known.
    /// - Throws: The failure given to ``fail(_:)``, or `CancellationError` when the calling task
    ///   is cancelled first.
    package func wait() async throws -> Value {
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
