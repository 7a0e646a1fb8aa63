/// A limit of `count` events per `interval`, as a sliding window.
public struct RateLimit: Sendable, Hashable, CustomStringConvertible {
    /// How many events the window allows.
    public var count: Int
    /// The window's length.
    public var interval: Duration

    /// Creates a limit.
    /// - Parameters:
    ///   - count: Events allowed per window; at least 1.
    ///   - interval: The window's length.
    public init(_ count: Int, per interval: Duration) {
        precondition(count >= 1, "a rate limit allows at least one event")
        self.count = count
        self.interval = interval
    }

    public var description: String { "\(count)/\(interval)" }
}

/// What one WebSocket channel of an exchange is and what it tolerates.
public struct ExchangeChannel: Sendable {
    /// The channel's identifier (`public`, `private`).
    public var id: ChannelID
    /// The kind families it carries (`ticker`, `orderbook`, `candle.1m`, `myOrder`, …).
    public var families: Set<String>
    /// Whether connecting needs credentials.
    public var requiresAuthentication: Bool
    /// Outbound message limits of one connection (Upbit: 5 per second and 100 per minute), declared
    /// by the exchange module: Core assumes no venue's limits.
    public var messageLimits: [RateLimit]
    /// How often to send a protocol ping while connected (Upbit closes after 120 s idle).
    public var keepaliveInterval: Duration
    /// How long the connection may stay silent (no frame, pong or status) before it is treated as
    /// stalled and replaced.
    public var silenceTolerance: Duration
    /// Whether the connection stays open with nothing subscribed, so a first subscription pays no
    /// connect latency (Upbit's public channel allows this).
    public var staysWarm: Bool
    /// Whether subscribing always brings data at once (Upbit's public channel answers every new
    /// subscription with a snapshot): a subscribed connection that delivers no data for the whole
    /// silence tolerance is then replaced even while it answers pings, since a fresh connection's
    /// snapshots show at little cost whether the feed is alive.
    public var subscribingBringsData: Bool
    /// The order book depths (levels per side) the channel serves, declared by the venue module;
    /// a depth-less `orderbook` (the venue's default book) needs no entry.
    public var orderbookDepths: Set<OrderbookDepth>
    /// Whether the venue answers a one-off snapshot request on the socket (Upbit does; Binance
    /// has no such request). Where it does not, the router takes snapshots from the module's
    /// REST snapshots (``RESTSnapshotProvider``) or refuses them with a typed error.
    public var snapshotsOverSocket: Bool
    /// How long the venue keeps a connection open before closing it (Binance: 24 hours), or
    /// `nil` when it sets no limit. The router replaces such a connection before it is closed,
    /// make-before-break: the replacement is opened and subscribed while the old one still
    /// delivers, and subscribers see neither a gap nor a duplicate (``MarketEvent/orderingKey``).
    public var connectionLifetime: Duration?
    /// How many streams one connection may carry, if the venue limits that (Binance: 1 024),
    /// counted as the module's `requestedTopics(for:)` counts them. The router spreads a larger
    /// set over several connections (shards), balanced, each supervised, restored and audited on
    /// its own; all of a market's topics share one connection.
    public var streamsPerConnection: Int?

    /// Creates a channel description.
    /// - Parameters:
    ///   - id: The channel's identifier.
    ///   - families: The kind families it carries.
    ///   - requiresAuthentication: Whether connecting needs credentials.
    ///   - messageLimits: The venue's outbound message limits per connection (no default: each
    ///     venue has its own).
    ///   - keepaliveInterval: How often to ping while connected.
    ///   - silenceTolerance: How long the connection may stay silent.
    ///   - staysWarm: Whether it stays open with nothing subscribed.
    ///   - subscribingBringsData: Whether subscribing always brings data at once.
    ///   - orderbookDepths: The book depths the channel serves (none besides the default book
    ///     unless declared).
    ///   - snapshotsOverSocket: Whether the venue answers snapshot requests on the socket.
    ///   - connectionLifetime: How long the venue keeps a connection open, if it limits that.
    ///   - streamsPerConnection: How many streams one connection may carry, if the venue limits that.
    public init(
        id: ChannelID, families: Set<String>, requiresAuthentication: Bool = false,
        messageLimits: [RateLimit],
        keepaliveInterval: Duration = .seconds(25), silenceTolerance: Duration = .seconds(60), staysWarm: Bool = false,
        subscribingBringsData: Bool = false, orderbookDepths: Set<OrderbookDepth> = [],
        snapshotsOverSocket: Bool = true, connectionLifetime: Duration? = nil, streamsPerConnection: Int? = nil
    ) {
        self.connectionLifetime = connectionLifetime
        self.streamsPerConnection = streamsPerConnection.map { max(1, $0) }
        self.orderbookDepths = orderbookDepths
        self.snapshotsOverSocket = snapshotsOverSocket
        self.subscribingBringsData = subscribingBringsData
        self.id = id
        self.families = families
        self.requiresAuthentication = requiresAuthentication
        self.messageLimits = messageLimits
        self.keepaliveInterval = keepaliveInterval
        self.silenceTolerance = silenceTolerance
        self.staysWarm = staysWarm
    }

    /// Whether this channel carries `kind`.
    public func carries(_ kind: DataKind) -> Bool { families.contains(kind.family) }
}
