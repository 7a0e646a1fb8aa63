import MarketStreamCore
import NIOCore
import Synchronization

extension MockExchangeCore {
    /// How a request fares under Upbit's `Origin` rule.
    enum OriginVerdict: Equatable {
        /// No `Origin` header, or within the limit (and now counted).
        case admitted
        /// Over the limit: answer 429 with this `Remaining-Req`.
        case refused(remaining: String)
    }

    /// Applies Upbit's `Origin` rule to a request from `address`: without an `Origin` header it
    /// is always admitted; with one, ``MockExchangeConfiguration/originLimit`` per client address
    /// (WebSocket upgrades and REST calls count alike).
    func originVerdict(hasOrigin: Bool, address: SocketAddress?) -> OriginVerdict {
        guard hasOrigin, let limit = configuration.originLimit else { return .admitted }
        let client = address?.ipAddress ?? "unknown"
        let now = elapsed()
        return state.withLock { state in
            var limiter = state.originLimiters[client] ?? SlidingWindowRateLimiter(limits: [limit])
            defer { state.originLimiters[client] = limiter }
            guard limiter.earliestPermitted(at: now) <= now else {
                return .refused(remaining: "group=origin; min=0; sec=0")
            }
            limiter.record(at: now)
            return .admitted
        }
    }
}
