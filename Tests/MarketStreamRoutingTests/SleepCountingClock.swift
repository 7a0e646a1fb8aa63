import Clocks
import Synchronization

/// A test clock that counts the sleeps under way on it, so a test can move it on only once the
/// router's loops it woke are asleep again (``RouterHarness/advance(by:upTo:until:onStep:)``).
///
/// Moving a `TestClock` yields to other tasks, but on a loaded machine a woken loop may not have
/// run by then: the clock moves on, and the loop's next deadline is counted from the later time.
final class SleepCountingClock: Clock, Sendable {
    typealias Instant = TestClock<Duration>.Instant

    let base: TestClock<Duration>
    private let sleeping = Atomic<Int>(0)

    init(_ base: TestClock<Duration>) { self.base = base }

    var now: Instant { base.now }
    var minimumResolution: Duration { base.minimumResolution }
    /// Sleeps under way.
    var sleeps: Int { sleeping.load(ordering: .acquiring) }

    func sleep(until deadline: Instant, tolerance: Duration?) async throws {
        sleeping.add(1, ordering: .releasing)
        defer { sleeping.subtract(1, ordering: .releasing) }
        try await base.sleep(until: deadline, tolerance: tolerance)
    }
}
