/// How a ``MarketDataGateway`` serves remote processes.
public struct GatewayConfiguration: Sendable {
    /// The gateway's name on the bus (in replies and the status heartbeat).
    public var id: String
    /// The gateway's epoch, its fencing token: it must be higher than any earlier gateway's of the
    /// venue, so that subscribers ignore what an older one still publishes. Defaults to the
    /// start time in seconds.
    /// 0 is a standby's (``MarketDataGateway/epoch`` before it serves): a gateway without
    /// leadership given 0 publishes nothing.
    public var epoch: UInt32
    /// The shortest and longest lease a process may ask for; others are clamped.
    public var leaseTTL: ClosedRange<Duration>
    /// The most topics one lease may hold.
    public var maxTopicsPerLease: Int
    /// The most processes the gateway serves at once; further new processes are refused.
    public var maxClients: Int
    /// How often the gateway beats on its status subject.
    public var statusInterval: Duration

    /// Creates a configuration.
    public init(
        id: String, epoch: UInt32, leaseTTL: ClosedRange<Duration> = .seconds(1)...(.seconds(120)),
        maxTopicsPerLease: Int = 10_000, maxClients: Int = 1_000, statusInterval: Duration = .seconds(1)
    ) {
        self.id = id
        self.epoch = epoch
        self.leaseTTL = leaseTTL
        self.maxTopicsPerLease = max(1, maxTopicsPerLease)
        self.maxClients = max(1, maxClients)
        self.statusInterval = statusInterval
    }
}
