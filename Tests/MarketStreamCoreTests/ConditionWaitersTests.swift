import MarketStreamCore
import MarketStreamTesting
import Synchronization
import Testing

@Suite(.timeLimit(.minutes(1))) struct ConditionWaitersTests {
    final class Counter: Sendable {
        let value = Atomic<Int>(0)
    }

    @Test func aWaiterReturnsOnceItsConditionHoldsAfterAChange() async {
        let waiters = ConditionWaiters()
        let counter = Counter()
        let waiting = Task { await waiters.wait(until: { counter.value.load(ordering: .relaxed) >= 3 }) }
        for _ in 0..<3 {
            counter.value.add(1, ordering: .relaxed)
            waiters.changed()
        }
        await waiting.value
        // Already true: no change needed.
        await waiters.wait(until: { counter.value.load(ordering: .relaxed) == 3 })
    }

    @Test func aWaiterCancelledAtAnyMomentStopsWaiting() async {
        let waiters = ConditionWaiters()
        let released = Counter()
        var missed = 0
        for attempt in 0..<2_000 where !Task.isCancelled {
            let waiting = Task { await waiters.wait(until: { released.value.load(ordering: .relaxed) > attempt }) }
            for _ in 0..<(attempt % 16) { await Task.yield() }
            waiting.cancel()
            // A waiter that missed its cancellation is freed by its condition at the deadline.
            let ended = await endsBefore(
                .seconds(10),
                release: {
                    released.value.store(attempt + 1, ordering: .relaxed)
                    waiters.changed()
                }
            ) {
                await waiting.value
                return true
            }
            if ended != true { missed += 1 }
        }
        #expect(missed == 0, "\(missed) cancelled waiters kept waiting")
    }
}
