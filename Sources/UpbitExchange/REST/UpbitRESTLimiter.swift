import Clocks
import MarketStreamCore
import Synchronization

/// Keeps one key's REST calls inside Upbit's per-group limits: callers ``acquire(_:priority:)``
/// before each call and ``record(status:remaining:retryAfter:group:)`` after it. Shared by every
/// user of one ``UpbitRESTClient``.
final class UpbitRESTLimiter: Sendable {
    private let budget: Mutex<UpbitRESTBudget>
    private let clock: AnyClock<Duration>
    private let origin: AnyClock<Duration>.Instant

    init(clock: AnyClock<Duration>, reservedShare: Double = 0.25) {
        self.clock = clock
        self.origin = clock.now
        self.budget = Mutex(UpbitRESTBudget(reservedShare: reservedShare))
    }

    private var now: Duration { origin.duration(to: clock.now) }

    /// What ``acquire(_:priority:)`` grants.
    enum Admission: Equatable {
        /// The call may go; it has been counted.
        case granted
        /// The group is blocked (418), for `retryAfter` when the exchange said.
        case blocked(retryAfter: Duration?)
    }

    /// Waits until a call of `group` may go and counts it, unless the group is blocked.
    /// - Throws: `CancellationError` when the task is cancelled while waiting.
    func acquire(_ group: UpbitRateGroup, priority: UpbitRequestPriority) async throws -> Admission {
        while true {
            try Task.checkCancellation()
            let now = self.now
            switch budget.withLock({ $0.request(group, priority: priority, at: now) }) {
            case .go: return .granted
            case .blocked(let retryAfter): return .blocked(retryAfter: retryAfter)
            case .wait(let until): try await clock.sleep(until: origin.advanced(by: until))
            }
        }
    }

    func record(status: Int, remaining: UpbitRemainingRequests?, retryAfter: Duration?, group: UpbitRateGroup) {
        let now = self.now
        budget.withLock {
            $0.record(status: status, remaining: remaining, retryAfter: retryAfter, group: group, at: now)
        }
    }
}
