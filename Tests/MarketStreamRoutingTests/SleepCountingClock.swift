import Clocks
import Synchronization

/// A test clock that counts the sleeps under way on it, so a test can move it on only once the
/// router's loops it woke are asleep again (``RouterHarness/advance(by:upTo:until:onStep:)``).
///
/// Moving a `TestClock` yields to other tasks, but on a loaded machine a woken loop may not have
/// run by then: the clock moves on, and the loop's next deadline is counted from the later time.
final class SleepCountingClock: Clock, Sendable {
    typealias Instant = TestClock<Duration>.Instant

    private struct Waiter {
        let id: Int
        let count: Int
        let continuation: CheckedContinuation<Void, Never>
    }

    private struct State {
        var sleeping = 0
        var nextID = 0
        var waiters: [Waiter] = []

        /// Takes the waiters whose count is reached.
        mutating func reached() -> [Waiter] {
            let ready = waiters.filter { $0.count <= sleeping }
            waiters.removeAll { $0.count <= sleeping }
            return ready
        }
    }

    let base: TestClock<Duration>
    private let state = Mutex(State())

    init(_ base: TestClock<Duration>) { self.base = base }

    var now: Instant { base.now }
    var minimumResolution: Duration { base.minimumResolution }
    /// Sleeps under way.
    var sleeps: Int { state.withLock { $0.sleeping } }

    func sleep(until deadline: Instant, tolerance: Duration?) async throws {
        let ready = state.withLock { state in
            state.sleeping += 1
            return state.reached()
        }
        for waiter in ready { waiter.continuation.resume() }
        defer { state.withLock { $0.sleeping -= 1 } }
        try await base.sleep(until: deadline, tolerance: tolerance)
    }

    /// Returns once `count` sleeps are under way, or once the calling task is cancelled.
    func waitUntilSleeping(atLeast count: Int) async {
        let id = state.withLock { state in
            state.nextID += 1
            return state.nextID
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state in
                    guard state.sleeping < count, !Task.isCancelled else { return true }
                    state.waiters.append(Waiter(id: id, count: count, continuation: continuation))
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { state in
                state.waiters.firstIndex { $0.id == id }.map { state.waiters.remove(at: $0) }
            }
            waiter?.continuation.resume()
        }
    }

    /// Returns once `count` sleeps are under way, or after `limit` of real time.
    func waitUntilSleeping(atLeast count: Int, for limit: Duration) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.waitUntilSleeping(atLeast: count) }
            group.addTask { try? await Task.sleep(for: limit) }
            await group.next()
            group.cancelAll()
        }
    }
}
