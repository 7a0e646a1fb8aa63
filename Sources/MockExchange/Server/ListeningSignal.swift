import Synchronization

/// Whether a server started listening, for anyone who waits: the value it listens with (its
/// endpoint), or why it could not. Resolved once; later resolutions are ignored.
package final class ListeningSignal<Value: Sendable>: Sendable {
    private struct State: Sendable {
        var outcome: Result<Value, ListenFailure>?
        var waiters: [UInt64: CheckedContinuation<Value, any Error>] = [:]
        /// Waits cancelled before their continuation was stored.
        var cancelled: Set<UInt64> = []
        var nextID: UInt64 = 0
    }

    private let state = Mutex(State())

    package init() {}

    /// Whether the server listens.
    package var isListening: Bool {
        state.withLock { if case .success? = $0.outcome { true } else { false } }
    }

    /// Records how starting ended and wakes the waiters.
    /// - Returns: Whether this was the first outcome (a failure after listening is not a listen failure).
    @discardableResult
    package func resolve(_ outcome: Result<Value, ListenFailure>) -> Bool {
        let waiters = state.withLock { state -> [CheckedContinuation<Value, any Error>]? in
            guard state.outcome == nil else { return nil }
            state.outcome = outcome
            defer { state.waiters.removeAll() }
            return Array(state.waiters.values)
        }
        guard let waiters else { return false }
        for waiter in waiters { waiter.resume(with: outcome.mapError { $0 }) }
        return true
    }

    /// Waits until the server listens.
    /// - Returns: What it listens with.
    /// - Throws: ``ListenFailure`` when it could not, or `CancellationError` when the calling task
    ///   is cancelled first.
    package func wait() async throws -> Value {
        let id = state.withLock { state in
            state.nextID += 1
            return state.nextID
        }
        // A cancellation that found no stored continuation leaves its mark: cleared on the way out.
        defer { state.withLock { _ = $0.cancelled.remove(id) } }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Value, any Error>) in
                let outcome = state.withLock { state -> Result<Value, any Error>? in
                    if let outcome = state.outcome { return outcome.mapError { $0 } }
                    if state.cancelled.remove(id) != nil { return .failure(CancellationError()) }
                    state.waiters[id] = continuation
                    return nil
                }
                if let outcome { continuation.resume(with: outcome) }
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
