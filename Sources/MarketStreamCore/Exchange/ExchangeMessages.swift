/// A message the router asks a connection to send.
public enum OutboundMessage: Sendable, Hashable, CustomStringConvertible {
    /// A text frame (subscription requests).
    case text(String)

    public var description: String {
        switch self {
        case .text(let text): text
        }
    }
}

/// A frame that is not market data.
public enum ControlMessage: Sendable {
    /// A keepalive answer such as Upbit's `{"status":"UP"}`.
    case status(String)
    /// An acknowledgement of an incremental request.
    case acknowledged(requestID: Int)
    /// The exchange's report of the connection's current subscriptions.
    case subscriptionList([SubscriptionTopic])
    /// An exchange error frame. Exchanges such as Upbit close the socket after one.
    case exchangeError(MarketStreamError)
    /// The module lost `topic`'s sequence (a gap in a venue's update ids) and is rebuilding it
    /// from a fresh snapshot; nothing of the topic is delivered until it is whole again.
    case resynchronizing(SubscriptionTopic, reason: String)
}

/// What the router knows when a frame arrives; a decoder stamps it on the events it makes.
public struct DecodeContext: Sendable {
    /// The exchange.
    public var exchange: ExchangeID
    /// The channel the frame arrived on.
    public var channel: ChannelID
    /// The connection's generation.
    public var generation: ConnectionGeneration
    /// When the frame arrived.
    public var receivedAt: UnixTime
    /// Which connection the frame arrived on, unique per channel. Unlike ``generation`` it also
    /// changes when a planned rotation replaces the connection without a gap, so a module that
    /// keeps state per connection (a book built from numbered changes) keys it by this.
    public var connection: UInt64
    /// Which of the channel's connections (shards) the frame arrived on: 0 unless the venue
    /// limits the streams a connection carries and the channel's set needs more than one
    /// (``ExchangeChannel/streamsPerConnection``). A recorder keeps it, so a replay gives each
    /// shard's frames to the same shard.
    public var shard: Int

    /// Creates a context.
    public init(
        exchange: ExchangeID, channel: ChannelID, generation: ConnectionGeneration, receivedAt: UnixTime,
        connection: UInt64 = 0, shard: Int = 0
    ) {
        self.exchange = exchange
        self.channel = channel
        self.generation = generation
        self.receivedAt = receivedAt
        self.connection = connection
        self.shard = shard
    }
}

/// What one frame decoded into. The router reuses one value per connection to avoid allocating.
public struct DecodedFrame: Sendable {
    /// Market events, in frame order.
    public var events: [MarketEvent] = []
    /// Control messages, in frame order.
    public var controls: [ControlMessage] = []

    /// Creates an empty result.
    public init() {}

    /// Empties the result, keeping its capacity.
    public mutating func removeAll() {
        events.removeAll(keepingCapacity: true)
        controls.removeAll(keepingCapacity: true)
    }
}
