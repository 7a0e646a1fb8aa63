import Testing

@testable import MarketStreamRouting

/// The wake-up a channel's upstream sync waits on. During a planned rotation two sessions wait on
/// one signal for a moment: both must wake, and one's cancellation must not take the other's turn.
@Suite(.timeLimit(.minutes(1))) struct WakeSignalTests {
    @Test func aSignalSentWhileNobodyWaitsIsKeptForTheNextWaiter() async {
        let signal = WakeSignal()
        signal.signal()
        await signal.wait()
    }

    @Test func aSignalWakesEveryWaiter() async {
        let signal = WakeSignal()
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await signal.wait() }
            group.addTask { await signal.wait() }
            while signal.waiterCount < 2 { await Task.yield() }
            // One signal wakes both: a waiter that missed it would hang the test.
            signal.signal()
            await group.next()
            await group.next()
        }
    }

    @Test func aCancelledWaiterLeavesTheOtherWaiting() async {
        let signal = WakeSignal()
        // The one that stays registers first, so a second registration that replaced it would lose it.
        let stays = Task { await signal.wait() }
        while signal.waiterCount < 1 { await Task.yield() }
        let leaves = Task { await signal.wait() }
        while signal.waiterCount < 2 { await Task.yield() }
        leaves.cancel()
        await leaves.value
        // The remaining waiter is still registered: one signal wakes it.
        signal.signal()
        await stays.value
    }
}
