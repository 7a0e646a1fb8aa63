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
            // Signals until both have returned: a waiter that missed one would hang the test.
            group.addTask {
                while !Task.isCancelled {
                    signal.signal()
                    try? await Task.sleep(for: .milliseconds(5))
                }
            }
            await group.next()
            await group.next()
            group.cancelAll()
        }
    }

    @Test func aCancelledWaiterLeavesTheOtherWaiting() async {
        let signal = WakeSignal()
        let stays = Task { await signal.wait() }
        let leaves = Task { await signal.wait() }
        try? await Task.sleep(for: .milliseconds(20))
        leaves.cancel()
        await leaves.value
        // The remaining waiter is still registered: one signal wakes it.
        signal.signal()
        await stays.value
    }
}
