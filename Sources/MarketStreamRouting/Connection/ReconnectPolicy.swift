import MarketStreamCore

/// How long to wait before reconnecting after consecutive failures: jittered exponential backoff.
///
/// Pure: `delay(beforeAttempt:jitterSample:)` maps an attempt number to a delay. The first retry
/// waits at most ``initialDelay``; delays grow by ``multiplier`` up to ``maximumDelay``; the failure
/// count resets once a connection has stayed up for ``stablePeriod``, or has delivered data and
/// stayed up for ``dataStablePeriod`` (a feed that works between periodic drops reconnects fast).
public struct ReconnectPolicy: Sendable, Hashable {
    /// The delay before the first retry.
    public var initialDelay: Duration
    /// The growth factor per consecutive failure.
    public var multiplier: Double
    /// The largest delay.
    public var maximumDelay: Duration
    /// The fraction of a delay that is randomised away (0…1); spreads reconnect storms.
    public var jitter: Double
    /// How long a connection must stay up for the failure count to reset.
    public var stablePeriod: Duration
    /// How long a connection that delivered data must stay up for the failure count to reset.
    public var dataStablePeriod: Duration

    /// Creates a policy.
    /// - Parameters:
    ///   - initialDelay: The delay before the first retry (default 250 ms).
    ///   - multiplier: Growth per failure (default 2).
    ///   - maximumDelay: The cap (default 30 s).
    ///   - jitter: Fraction randomised away (default 0.2).
    ///   - stablePeriod: Uptime after which failures are forgotten (default 30 s).
    ///   - dataStablePeriod: Uptime after which failures are forgotten when the connection
    ///     delivered data (default 5 s).
    public init(
        initialDelay: Duration = .milliseconds(250), multiplier: Double = 2, maximumDelay: Duration = .seconds(30),
        jitter: Double = 0.2, stablePeriod: Duration = .seconds(30), dataStablePeriod: Duration = .seconds(5)
    ) {
        self.initialDelay = initialDelay
        self.multiplier = max(1, multiplier)
        self.maximumDelay = max(initialDelay, maximumDelay)
        self.jitter = min(max(jitter, 0), 1)
        self.stablePeriod = stablePeriod
        self.dataStablePeriod = min(dataStablePeriod, stablePeriod)
    }

    /// The delay before reconnect attempt `attempt` (1 for the first retry).
    /// - Parameters:
    ///   - attempt: The 1-based number of the consecutive failed attempt.
    ///   - jitterSample: A random value in `0..<1`; 0 gives the full delay.
    /// - Returns: A delay between `(1 - jitter) ×` and `1 ×` the capped exponential delay.
    public func delay(beforeAttempt attempt: Int, jitterSample: Double) -> Duration {
        let initialSeconds = initialDelay.secondsValue
        let capSeconds = maximumDelay.secondsValue
        var seconds = initialSeconds
        // Cap before converting, so large attempt numbers cannot overflow.
        for _ in 1..<max(1, attempt) where seconds < capSeconds {
            seconds *= multiplier
        }
        seconds = min(seconds, capSeconds)
        seconds *= 1 - jitter * min(max(jitterSample, 0), 0.999_999)
        return .nanoseconds(Int64(seconds * 1e9))
    }
}

extension Duration {
    var secondsValue: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
