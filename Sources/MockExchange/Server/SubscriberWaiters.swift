import Synchronization

/// Callers waiting until the mock's clients hold some subscriptions: woken when a connection's
/// subscription set changes (or the connection closes), so that nobody polls the connections.
final class SubscriberWaiters: Sendable {
    private struct State: Sendable {
        var waiters: [UInt64: CheckedContinuation<Bool, Never>] = [:]
        /// Waits cancelled before their continuation was stored.
        var cancelled: Set<UInt64> = []
        var nextID: UInt64 = 0
    }

    private let state = Mutex(State())

    /// Returns once `hasSubscriber` holds, checked now and after every change, or once the
    /// calling task is cancelled. `hasSubscriber` runs under this type's lock: it may read the
    /// connections (their locks are taken after this one, never before).
    func wait(until hasSubscriber: @escaping @Sendable () -> Bool) async {
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
                        if hasSubscriber() { return true }
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

    /// A connection's subscription set changed: every waiter checks again.
    func subscriptionsChanged() {
        let waiters = state.withLock { state in
            defer { state.waiters.removeAll() }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume(returning: false) }
    }
}
