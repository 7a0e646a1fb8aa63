import Synchronization

/// Awaits `operation`, giving it until `deadline`: a test of a wait that must end (on
/// cancellation, on a shutdown) fails at the deadline instead of hanging, which a test's time
/// limit cannot prevent when the wait ignores the cancellation the limit sends.
///
/// At the deadline, or when the calling task is cancelled first, `release` runs to free what the
/// operation waits for (cancel its task, end its queue), and the operation is still awaited.
///
/// ```swift
/// let waiting = Task { await gateway.waitUntilServing() }
/// let ended = await endsBefore(.seconds(10), release: { waiting.cancel() }) { await waiting.value }
/// #expect(ended != nil)
/// ```
/// - Returns: The operation's value, or `nil` when the deadline (or the caller's cancellation)
///   came first.
public func endsBefore<Value: Sendable>(
    _ deadline: Duration, release: @escaping @Sendable () -> Void,
    _ operation: @escaping @Sendable () async -> Value
) async -> Value? {
    let operationEnded = EndFlag()
    return await withTaskGroup(of: DeadlineOutcome<Value>.self) { group in
        group.addTask {
            let value = await operation()
            operationEnded.value.store(true, ordering: .releasing)
            return .value(value)
        }
        group.addTask {
            // Cancelled, this sleep ends early: because the operation ended, or because the
            // caller was cancelled (a test's time limit), which must not leave the operation stuck.
            try? await Task.sleep(for: deadline)
            guard !operationEnded.value.load(ordering: .acquiring) else { return .ended }
            release()
            return .deadline
        }
        defer { group.cancelAll() }
        guard case .value(let value) = await group.next() else { return nil }
        return value
    }
}

/// What ends first in ``endsBefore(_:release:_:)``.
private enum DeadlineOutcome<Value: Sendable>: Sendable {
    case value(Value)
    case deadline
    /// The deadline's wait, cancelled because the operation ended.
    case ended
}

/// Whether the operation of ``endsBefore(_:release:_:)`` has ended.
private final class EndFlag: Sendable {
    let value = Atomic<Bool>(false)
}
