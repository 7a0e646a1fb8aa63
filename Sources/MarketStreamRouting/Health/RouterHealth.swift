import MarketStreamCore

/// Overall condition.
public enum HealthStatus: String, Sendable, Hashable, Comparable {
    /// Every channel that is needed is streaming.
    case healthy
    /// Some channel is reconnecting, silent or reporting errors; data may be late.
    case degraded
    /// A needed channel has failed repeatedly; its subscribers get no data.
    case critical

    private var rank: Int {
        switch self {
        case .healthy: 0
        case .degraded: 1
        case .critical: 2
        }
    }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rank < rhs.rank }
}

/// What one channel's connection is doing.
public enum ChannelState: Sendable, Hashable, CustomStringConvertible {
    /// Not connected, and not needed.
    case idle
    /// Connecting (attempt 1 is the first).
    case connecting(attempt: Int)
    /// Connected and streaming.
    case streaming
    /// Waiting before reconnect attempt `attempt`.
    case backingOff(attempt: Int, delay: Duration)
    /// The router has stopped.
    case stopped

    public var description: String {
        switch self {
        case .idle: "idle"
        case .connecting(let attempt): "connecting (attempt \(attempt))"
        case .streaming: "streaming"
        case .backingOff(let attempt, let delay): "backing off (attempt \(attempt) in \(delay))"
        case .stopped: "stopped"
        }
    }
}

/// A snapshot of one channel's health.
public struct ChannelHealth: Sendable, Hashable {
    /// The channel.
    public var channel: ChannelKey
    /// What its connection is doing.
    public var state: ChannelState
    /// The current connection generation.
    public var generation: ConnectionGeneration
    /// How long the current connection has been streaming.
    public var uptime: Duration?
    /// Time since the last inbound frame.
    public var lastMessageAge: Duration?
    /// Inbound frames per second, measured over the last second.
    public var messagesPerSecond: Double
    /// Inbound frames since the router started.
    public var messagesReceived: Int
    /// Frames that could not be decoded (counted and skipped).
    public var malformedFrames: Int
    /// Input events a data-type handler failed on (counted and skipped).
    public var handlerFailures: Int
    /// Times an audit found the exchange had silently dropped subscriptions (and the set was resent).
    public var driftRepairs: Int
    /// Reconnects since the router started.
    public var reconnects: Int
    /// Events dropped by the channel's subscribers' delivery policies.
    public var droppedEvents: Int
    /// Live subscriptions on this channel.
    public var subscribers: Int
    /// Topics in the channel's upstream subscription set.
    public var upstreamTopics: Int
    /// Subscription messages sent upstream.
    public var upstreamMessages: Int
    /// The last error, without secrets.
    public var lastError: String?
    /// Whether subscribers are served by the stream or, while it is unavailable, by REST polling.
    public var mode: ChannelDataMode
    /// Events delivered from REST polling since the router started.
    public var polledEvents: Int
    /// REST polls that failed since the router started.
    public var pollFailures: Int
    /// The last REST poll's failure, while polling.
    public var lastPollError: String?
    /// Subscribed keys silent far beyond their usual interval (see ``FreshnessPolicy``), most
    /// silent first; while there are any, a streaming channel is `degraded`. A market that is
    /// always quiet never becomes stale.
    public var staleTopics: [TopicFreshness]
    /// Whether the channel is needed (has subscribers, pending snapshots, or stays warm).
    public var isNeeded: Bool
    /// Planned rotations: connections replaced make-before-break before the venue's lifetime
    /// limit (``ExchangeChannel/connectionLifetime``), without a reconnect.
    public var rotations = 0
    /// Rotations whose replacement took over before every flowing topic had overlapped, so some
    /// events may be missing (0 when every handover was seamless).
    public var rotationsWithoutOverlap = 0
    /// Open connections: 1 while connected, more where the venue limits the streams per connection
    /// (``ExchangeChannel/streamsPerConnection``) and the set needs several (shards).
    public var connections = 0
    /// Frames the transport dropped before the router saw them: a message bus client's
    /// slow-consumer drops (a WebSocket never drops).
    public var transportDroppedFrames = 0

    /// This channel's contribution to the overall status.
    public var status: HealthStatus {
        guard isNeeded else { return .healthy }
        // Polling keeps data flowing (late, and only for the polled kinds).
        if mode == .restPolling { return lastPollError == nil ? .degraded : .critical }
        switch state {
        case .streaming:
            // Keys silent far beyond their usual interval: data is missing, if not (yet) all of it.
            return staleTopics.isEmpty ? .healthy : .degraded
        case .idle, .stopped:
            return .healthy
        case .connecting(let attempt), .backingOff(let attempt, _):
            return attempt >= 5 ? .critical : .degraded
        }
    }
}

/// A snapshot of the router's health: an overall status and every channel's details.
public struct RouterHealth: Sendable, Hashable, CustomStringConvertible {
    /// The worst status of any channel.
    public var status: HealthStatus
    /// Per-channel details.
    public var channels: [ChannelHealth]
    /// Live subscriptions across all channels.
    public var subscribers: Int

    public var description: String {
        var lines = ["status: \(status.rawValue), subscribers: \(subscribers)"]
        for channel in channels {
            var line = "  \(channel.channel): \(channel.state), generation \(channel.generation)"
            line += ", upstream \(channel.upstreamTopics) topics / \(channel.upstreamMessages) messages"
            line += ", \(channel.messagesReceived) frames (\(channel.messagesPerSecond)/s)"
            line += ", reconnects \(channel.reconnects), dropped \(channel.droppedEvents)"
            if channel.transportDroppedFrames > 0 { line += ", transport dropped \(channel.transportDroppedFrames)" }
            if channel.rotations > 0 { line += ", rotations \(channel.rotations)" }
            if channel.connections > 1 { line += ", \(channel.connections) connections" }
            if channel.handlerFailures > 0 { line += ", handler failures \(channel.handlerFailures)" }
            if channel.mode == .restPolling { line += ", REST polling (\(channel.polledEvents) events)" }
            if let error = channel.lastError { line += ", last error: \(error)" }
            if let error = channel.lastPollError { line += ", last poll error: \(error)" }
            if !channel.staleTopics.isEmpty {
                line += ", stale: " + channel.staleTopics.prefix(5).map(\.description).joined(separator: "; ")
            }
            lines.append(line)
        }
        return lines.joined(separator: "\n")
    }
}
