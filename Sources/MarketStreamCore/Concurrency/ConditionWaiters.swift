import Synchronization

/// Tasks waiting until a condition on some state holds: each checks its condition now and again
/// after every ``changed()``, and stops waiting when its task is cancelled. Whoever changes the
/// state calls ``changed()`` after the change, so nobody polls.
///
/// ```swift
/// // The state's owner, after each change:   waiters.changed()
/// await waiters.wait { connections.withLock { $0.count } >= 2 }
/// ```
public final class ConditionWaiters: Sendable {
    private struct State: Sendable {
        var waiters: [UInt64: CheckedContinuation<Bool, Never>] = [:]
        /// Waits cancelled before their continuation was stored.
        var cancelled: Set<UInt64> = []
        var nextID: UInt64 = 0
    }

    private let state = Mutex(State())

    /// Creates a set of waiters.
    public init() {}

    /// Returns once `condition` holds, checked now and after every ``changed()``, or once the
    /// calling task is cancelled. `condition` runs under this type's lock: it may take the
    /// state's own lock (taken after this one, never before).
    public func wait(until condition: @escaping @Sendable () -> Bool) async {
        let id = state.withLock { state in
            state.nextID += 1
            return state.nextID
        }
        // A cancellation that found no stored continuation leaves its mark: cleared on the way out.
        defer { state.withLock { _ = $0.cancelled.remove(id) } }
        await withTaskCancellationHandler {
            while !Task.isCancelled {
                let satisfied: Bool = await withCheckedContinuation { continuation in
                    // Checked under the lock a change notes itself with: a change either is seen
                    // here or wakes the continuation stored here.
                    let outcome = state.withLock { state -> Bool? in
                        if state.cancelled.remove(id) != nil { return false }
                        if condition() { return true }
                        state.waiters[id] = continuation
                        return nil
                    }
                    if let outcome { continuation.resume(returning: outcome) }
                }
                if satisfied { return }
            }
        } onCancel: {
            let waiter = state.withLock { state in
                let waiter = state.waiters.removeValue(forKey: id)
                if waiter == nil { state.cancelled.insert(id) }
                return waiter
            }
            waiter?.resume(returning: false)
        }
    }

    /// The state changed: every waiter checks its condition again.
    public func changed() {
        let waiters = state.withLock { state in
            defer { state.waiters.removeAll() }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume(returning: false) }
    }
}
