import Synchronization

/// A value that becomes known once (a port bound, a service ready), for anyone who waits for it.
/// Later resolutions are ignored.
final class ReadySignal<Value: Sendable>: Sendable {
    private struct State: Sendable {
        var value: Value?
        var waiters: [CheckedContinuation<Value, Never>] = []
    }

    private let state = Mutex(State())

    /// Records the value and wakes the waiters.
    func resolve(_ value: Value) {
        let waiters = state.withLock { state -> [CheckedContinuation<Value, Never>] in
            guard state.value == nil else { return [] }
            state.value = value
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume(returning: value) }
    }

    /// The value, once known.
    func wait() async -> Value {
        await withCheckedContinuation { waiter in
            let value = state.withLock { state in
                if state.value == nil { state.waiters.append(waiter) }
                return state.value
            }
            if let value { waiter.resume(returning: value) }
        }
    }
}
