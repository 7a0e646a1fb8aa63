import DequeModule

/// Sliding-window admission for messages or connection attempts against several limits at once
/// (Upbit: 5 per second and 100 per minute); performs no I/O.
///
/// Times are offsets on a caller's clock, so tests drive it with plain `Duration`s.
public struct SlidingWindowRateLimiter: Sendable {
    private let limits: [RateLimit]
    /// Send times still inside the longest window, oldest first.
    private var history: Deque<Duration> = []
    private let longestWindow: Duration

    /// Creates a limiter enforcing every limit in `limits`.
    public init(limits: [RateLimit]) {
        self.limits = limits
        longestWindow = limits.map(\.interval).max() ?? .zero
    }

    /// The earliest time at or after `now` when one more event fits every limit.
    public func earliestPermitted(at now: Duration) -> Duration {
        var earliest = now
        for limit in limits where history.count >= limit.count {
            // The event `limit.count` places back must have left the window.
            let blocking = history[history.count - limit.count]
            earliest = max(earliest, blocking + limit.interval)
        }
        return earliest
    }

    /// Records an event at `now`. The caller has checked ``earliestPermitted(at:)``.
    public mutating func record(at now: Duration) {
        history.append(now)
        while let first = history.first, first + longestWindow <= now {
            history.removeFirst()
        }
    }

    /// How many events happened in the window `(now - interval, now]`.
    public func count(within interval: Duration, at now: Duration) -> Int {
        history.reversed().prefix { $0 > now - interval }.count
    }
}
