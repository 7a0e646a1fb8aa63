import DequeModule
import MarketStreamCore

/// The REST budget of one key (pocket) and IP, per rate group: a value-type state machine with no
/// I/O, driven by ``UpbitRESTLimiter``.
///
/// A call may go when the group's sliding one-second window has room for its priority (a share
/// of every group is kept for ``UpbitRequestPriority/trading`` and ``UpbitRequestPriority/query``
/// calls so that background polling never delays an order), the exchange's own count
/// (`Remaining-Req`) agrees, and no 429 pause or 418 block is in force.
struct UpbitRESTBudget: Sendable {
    /// What a caller should do.
    enum Decision: Equatable, Sendable {
        /// Go now; the call has been counted.
        case go
        /// Ask again at this time.
        case wait(until: Duration)
        /// The group is blocked (418); do not call.
        case blocked(retryAfter: Duration?)
    }

    private struct Group: Sendable {
        var sent: Deque<Duration> = []
        /// The exchange said nothing is left until this time (`sec=0` or 429).
        var pausedUntil: Duration?
        /// The exchange's remaining count and when it was reported.
        var reported: (remaining: Int, at: Duration)?
        /// 418: blocked — until `blockedUntil` when the exchange said, otherwise for good.
        var blocked = false
        var blockedUntil: Duration?
    }

    /// The fraction of each group kept from background calls.
    let reservedShare: Double
    private var groups: [UpbitRateGroup: Group] = [:]

    init(reservedShare: Double = 0.25) {
        self.reservedShare = reservedShare
    }

    /// How many calls of `priority` the window of `group` admits.
    func allowance(_ group: UpbitRateGroup, _ priority: UpbitRequestPriority) -> Int {
        let limit = group.limit.count
        guard priority == .background, limit > 1 else { return limit }
        return max(1, limit - Int((Double(limit) * reservedShare).rounded(.up)))
    }

    /// Decides whether a call may go now, and counts it when it may.
    mutating func request(_ group: UpbitRateGroup, priority: UpbitRequestPriority, at now: Duration) -> Decision {
        var state = groups[group] ?? Group()
        defer { groups[group] = state }
        if state.blocked {
            if let until = state.blockedUntil, until <= now {
                state.blocked = false
            } else {
                return .blocked(retryAfter: state.blockedUntil.map { $0 - now })
            }
        }
        let window = group.limit.interval
        while let first = state.sent.first, first + window <= now { state.sent.removeFirst() }
        if let paused = state.pausedUntil {
            if paused > now { return .wait(until: paused) }
            state.pausedUntil = nil
        }
        let allowance = allowance(group, priority)
        if state.sent.count >= allowance {
            // The oldest call that must leave the window before this one fits.
            let index = state.sent.count - allowance
            return .wait(until: state.sent[index] + window)
        }
        // Trust the exchange's own count (it includes other clients of the same key or IP) for the
        // second it was reported in, keeping the reserve from background calls.
        if let reported = state.reported, now - reported.at < window {
            let left = reported.remaining - state.sent.count(where: { $0 > reported.at })
            let kept = priority == .background ? group.limit.count - allowance : 0
            if left <= kept { return .wait(until: reported.at + window) }
        }
        state.sent.append(now)
        return .go
    }

    /// Takes what a response says about the budget.
    /// - Parameters:
    ///   - status: The HTTP status.
    ///   - remaining: The parsed `Remaining-Req` header.
    ///   - retryAfter: A `Retry-After` the exchange sent with a 418.
    ///   - group: The group the call counted against.
    ///   - now: When the response arrived.
    mutating func record(
        status: Int, remaining: UpbitRemainingRequests?, retryAfter: Duration?, group: UpbitRateGroup, at now: Duration
    ) {
        var state = groups[group] ?? Group()
        defer { groups[group] = state }
        if let remaining, remaining.group == group.rawValue {
            state.reported = (remaining.remainingThisSecond, now)
            if remaining.remainingThisSecond == 0 { state.pausedUntil = now + group.limit.interval }
        }
        switch status {
        case 429:
            // Wait for the next second boundary: a whole window from now always crosses it.
            state.pausedUntil = now + group.limit.interval
        case 418:
            state.blocked = true
            state.blockedUntil = retryAfter.map { now + $0 }
        default:
            break
        }
    }

    /// Whether `group` is blocked by a 418 at `now`.
    func isBlocked(_ group: UpbitRateGroup, at now: Duration) -> Bool {
        guard let state = groups[group], state.blocked else { return false }
        return state.blockedUntil.map { $0 > now } ?? true
    }
}
