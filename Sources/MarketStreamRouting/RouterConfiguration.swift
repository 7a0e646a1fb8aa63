import MarketStreamCore

/// How a ``MarketDataRouter`` batches, buffers and reconnects. Every value has a sensible default.
public struct RouterConfiguration: Sendable {
    /// How long a change waits for more changes before one request carries them all (default 100 ms).
    public var debounce: Duration
    /// How long a topic stays subscribed upstream after its last subscriber left, so that an
    /// immediate re-subscribe causes no upstream churn (default 2 s; zero releases at once).
    public var gracePeriod: Duration
    /// Events buffered per subscriber (default 1 024).
    public var bufferCapacity: Int
    /// Reconnect backoff.
    public var reconnect: ReconnectPolicy
    /// How long ``MarketDataRouter/snapshot(of:markets:on:)`` waits for the exchange (default 5 s).
    public var snapshotTimeout: Duration
    /// Whether channels that allow it stay connected with no subscriptions (default `true`).
    public var keepsChannelsWarm: Bool
    /// Whether snapshots use REST when the exchange module offers it (default `false`: the live
    /// connection answers them, keeping every live stream subscribed).
    public var prefersRESTSnapshots: Bool
    /// How often to compare the exchange's view of a connection's subscriptions with the desired
    /// set (when the exchange module offers an audit message); `nil`, the default, turns the audit
    /// off. Off by default because on Upbit, where every message may replace the connection's set,
    /// it is not verified that `LIST_SUBSCRIPTIONS` leaves the set alone (its documentation says so;
    /// a strict emulator replaced the set, costing a gap and fresh snapshots per audit). Turn it on
    /// (say `.seconds(60)`) where the exchange is known to answer it as a query.
    public var subscriptionAuditInterval: Duration?
    /// When channels switch to REST polling and back (for exchange modules that offer it).
    public var restFallback: RESTFallbackPolicy
    /// When a subscribed key counts as stale in health.
    public var freshness: FreshnessPolicy
    /// Added to every window of a channel's message limits (default 250 ms): the exchange counts
    /// messages when it processes them, so network jitter and its own delays can bunch messages
    /// that left a full window apart. With the margin, Upbit's 5 per second becomes 5 per 1.25 s.
    public var rateLimitMargin: Duration
    /// Whether the router only passes frames on (default `false`): a gateway's or a recorder's,
    /// whose subscribers take connection events only and whose ``FrameTap`` takes every frame.
    ///
    /// Such a router reads of a data frame only what it needs to pass it on, its topic, where the
    /// exchange module can tell it without decoding the rest
    /// (``AbstractWebSocketManager/forwardedTopic(of:exchange:)``), and hands the frame to the tap's
    /// ``FrameTap/frameForwarded(_:topic:context:)``; every other frame is decoded as usual. Its
    /// subscriptions must use ``DeliveryPolicy/connectionEventsOnly`` (the default there), and it
    /// takes no ``MarketDataRouter/snapshot(of:markets:on:)`` requests. A frame passed on undecoded
    /// is not checked past its topic: whoever decodes it downstream reports it if it is malformed.
    public var forwardsFramesOnly: Bool

    /// Creates a configuration.
    public init(
        debounce: Duration = .milliseconds(100), gracePeriod: Duration = .seconds(2), bufferCapacity: Int = 1_024,
        reconnect: ReconnectPolicy = ReconnectPolicy(), snapshotTimeout: Duration = .seconds(5),
        keepsChannelsWarm: Bool = true, prefersRESTSnapshots: Bool = false,
        subscriptionAuditInterval: Duration? = nil, restFallback: RESTFallbackPolicy = RESTFallbackPolicy(),
        freshness: FreshnessPolicy = FreshnessPolicy(), rateLimitMargin: Duration = .milliseconds(250),
        forwardsFramesOnly: Bool = false
    ) {
        self.forwardsFramesOnly = forwardsFramesOnly
        self.rateLimitMargin = max(.zero, rateLimitMargin)
        self.freshness = freshness
        self.restFallback = restFallback
        self.subscriptionAuditInterval = subscriptionAuditInterval
        self.debounce = debounce
        self.gracePeriod = gracePeriod
        self.bufferCapacity = max(1, bufferCapacity)
        self.reconnect = reconnect
        self.snapshotTimeout = snapshotTimeout
        self.keepsChannelsWarm = keepsChannelsWarm
        self.prefersRESTSnapshots = prefersRESTSnapshots
    }
}
