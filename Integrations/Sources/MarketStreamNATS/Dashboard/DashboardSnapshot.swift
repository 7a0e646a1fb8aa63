import MarketStreamCore
import MarketStreamRouting

/// What the dashboard shows, once per second: the gateway, each venue channel and each remote
/// process. Also served as JSON at `/status.json`.
public struct DashboardSnapshot: Codable, Sendable, Hashable {
    /// One venue channel of the gateway's router.
    public struct Channel: Codable, Sendable, Hashable {
        public var channel: String
        public var state: String
        public var mode: String
        public var generation: UInt64
        public var messagesPerSecond: Double
        public var reconnects: Int
        public var droppedEvents: Int
        public var upstreamTopics: Int
        public var upstream: [String]
    }

    /// One remote process's lease.
    public struct Process: Codable, Sendable, Hashable {
        public var id: String
        public var topics: Int
        public var demand: [String]
        public var leaseAgeSeconds: Double
        public var expiresInSeconds: Double
        public var renewals: Int
        /// Frames the process received, as of its last lease (`nil` until it reports).
        public var delivered: Int?
        /// Frames nats.c dropped for it (slow consumer), as of its last lease.
        public var dropped: Int?
        /// Sequence gaps it saw, as of its last lease.
        public var gaps: Int?
    }

    public var gateway: String
    public var epoch: UInt32
    public var health: String
    public var publishedFrames: Int
    public var channels: [Channel]
    public var processes: [Process]
    /// Counts up with each snapshot (the page shows it, so a reader sees it update).
    public var sequence: Int

    /// The gateway's state now.
    static func of(_ gateway: MarketDataGateway, id: String, sequence: Int) -> DashboardSnapshot {
        let health = gateway.router.health()
        let channels = health.channels.map { channel in
            let upstream = gateway.router.desiredTopics(on: channel.channel).map { "\($0.kind)/\($0.market)" }.sorted()
            return Channel(
                channel: channel.channel.description, state: channel.state.description, mode: channel.mode.rawValue,
                generation: channel.generation.rawValue, messagesPerSecond: channel.messagesPerSecond,
                reconnects: channel.reconnects, droppedEvents: channel.droppedEvents,
                upstreamTopics: channel.upstreamTopics, upstream: Array(upstream.prefix(200)))
        }
        let processes = gateway.clients.map { client in
            Process(
                id: client.id, topics: client.topics.count,
                demand: Array(client.topics.map { "\($0.kind)/\($0.market)" }.sorted().prefix(50)),
                leaseAgeSeconds: client.age.seconds, expiresInSeconds: client.expiresIn.seconds,
                renewals: client.renewals, delivered: client.report?.delivered, dropped: client.report?.dropped,
                gaps: client.report?.gaps)
        }
        return DashboardSnapshot(
            gateway: id, epoch: gateway.epoch, health: health.status.rawValue, publishedFrames: gateway.publishedFrames,
            channels: channels, processes: processes, sequence: sequence)
    }
}

extension Duration {
    var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
