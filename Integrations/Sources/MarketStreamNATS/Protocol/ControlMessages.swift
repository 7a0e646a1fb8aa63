/// The gateway's heartbeat on `ms.v1.status.<venue>`, once per ``GatewayConfiguration/statusInterval``.
public struct GatewayStatus: Codable, Sendable, Hashable {
    /// The gateway's name.
    public var gateway: String
    /// Its epoch (fencing token).
    public var epoch: UInt32
    /// The router's health: `healthy`, `degraded` or `unhealthy`.
    public var health: String
    /// How many processes hold a lease.
    public var clients: Int
    /// How many topics their leases hold between them.
    public var topics: Int

    /// Creates a status.
    public init(gateway: String, epoch: UInt32, health: String, clients: Int, topics: Int) {
        self.gateway = gateway
        self.epoch = epoch
        self.health = health
        self.clients = clients
        self.topics = topics
    }
}

/// A process's request to have the last frame of some topics sent to its inbox again (after it
/// saw a gap in their sequence), on `ms.v1.ctl.<venue>.snapshot`.
public struct SnapshotRequest: Codable, Sendable, Hashable {
    /// The process's id.
    public var client: String
    /// The topics, `<kind>/<market>`.
    public var topics: [String]

    /// Creates a request.
    public init(client: String, topics: [String]) {
        self.client = client
        self.topics = topics
    }
}
