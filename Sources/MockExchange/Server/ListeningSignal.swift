import Synchronization

/// Whether a server started listening, for anyone who waits: the value it listens with (its
/// endpoint), or why it could not. Resolved once; later resolutions are ignored.
package final class ListeningSignal<Value: Sendable>: Sendable {
    private struct State: Sendable {
        var outcome: Result<Value, ListenFailure>?
        var waiters: [CheckedContinuation<Value, any Error>] = []
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
            defer { state.waiters = [] }
            return state.waiters
        }
        guard let waiters else { return false }
        for waiter in waiters { waiter.resume(with: outcome.mapError { $0 }) }
        return true
    }

    /// Waits until the server listens.
    /// - Returns: What it listens with.
    /// - Throws: ``ListenFailure`` when it could not.
    package func wait() async throws -> Value {
        try await withCheckedThrowingContinuation { continuation in
            let outcome = state.withLock { state -> Result<Value, ListenFailure>? in
                if state.outcome == nil { state.waiters.append(continuation) }
                return state.outcome
            }
            if let outcome { continuation.resume(with: outcome.mapError { $0 }) }
        }
    }
}
