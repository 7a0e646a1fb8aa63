import DequeModule
import MarketStreamCore

/// Sliding-window admission for outbound messages or connection attempts; performs no I/O.
///
/// Times are offsets on the router's clock, so tests drive it with plain `Duration`s.
struct RateLimiter: Sendable {
    private let limits: [RateLimit]
    /// Send times still inside the longest window, oldest first.
    private var history: Deque<Duration> = []
    private let longestWindow: Duration

    init(limits: [RateLimit]) {
        self.limits = limits
        longestWindow = limits.map(\.interval).max() ?? .zero
    }

    /// The earliest time at or after `now` when one more event fits every limit.
    func earliestPermitted(at now: Duration) -> Duration {
        var earliest = now
        for limit in limits where history.count >= limit.count {
            // The event `limit.count` places back must have left the window.
            let blocking = history[history.count - limit.count]
            earliest = max(earliest, blocking + limit.interval)
        }
        return earliest
    }

    /// Records an event at `now`. The caller has checked ``earliestPermitted(at:)``.
    mutating func record(at now: Duration) {
        history.append(now)
        while let first = history.first, first + longestWindow <= now {
            history.removeFirst()
        }
    }

    /// How many events happened in the window `(now - interval, now]`.
    func count(within interval: Duration, at now: Duration) -> Int {
        history.reversed().prefix { $0 > now - interval }.count
    }
}
