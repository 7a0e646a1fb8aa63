/// The plug an exchange module implements so that the generic router can drive it.
///
/// An exchange module describes its channels and their limits, opens connections, turns
/// frames into typed events and turns the router's consolidated subscription changes into wire
/// messages. Everything else — reference counting, batching under rate limits, reconnecting,
/// restoring, generations, fan-out, backpressure, health — the router provides.
///
/// Implement one of the refinements rather than this protocol alone:
/// ``OverwriteSubscriptionManager`` for exchanges where every request replaces the whole set
/// (Upbit), ``IncrementalSubscriptionManager`` for subscribe/unsubscribe protocols (Binance-like).
/// Add ``AuthenticatedWebSocketManager`` for channels that need credentials, and
/// ``RESTSnapshotProvider`` for snapshots over REST.
///
/// ## Threading and cancellation
/// The router calls ``decode(_:context:into:)`` synchronously on a connection's read path, one
/// frame at a time per connection; it must not block. ``connect(to:handler:)`` runs for the life
/// of one connection and must return promptly when its task is cancelled.
public protocol AbstractWebSocketManager: Sendable {
    /// The exchange's identifier.
    var exchange: ExchangeID { get }

    /// The exchange's WebSocket channels.
    var channels: [ExchangeChannel] { get }

    /// How many connection attempts per window the exchange allows across all channels
    /// (Upbit: 5 per second; Bithumb: 10 per second; Binance: 300 per 5 minutes). Each module
    /// declares its venue's: Core assumes no venue's limits.
    var connectLimit: RateLimit { get }

    /// Whether `channel` can be used now (a private channel without credentials cannot).
    /// - Returns: `nil` when usable, otherwise the error that explains why not.
    func unavailability(of channel: ChannelID) -> MarketStreamError?

    /// Opens one connection to `channel` and runs it until it closes.
    ///
    /// Once connected, call `handler.run(outbound:)` and, concurrently, `handler.receive(_:)` for
    /// every data frame in order. When either the socket closes or `run` returns or throws, close
    /// the connection and return (or throw what closed it).
    /// - Parameters:
    ///   - channel: The channel to connect to.
    ///   - handler: The router's side of the connection.
    /// - Throws: ``MarketStreamError`` with `.connectionRefused` when the connection could not be
    ///   made, or what ended it.
    func connect(to channel: ChannelID, handler: any ConnectionHandler) async throws

    /// Decodes one frame into events and control messages.
    ///
    /// - Parameters:
    ///   - frame: The frame.
    ///   - context: Stamps for the events.
    ///   - output: Where to append what the frame holds.
    /// - Throws: ``MarketStreamError`` with `.malformedFrame` for a frame that cannot be decoded;
    ///   the router counts and skips it and keeps the connection.
    func decode(_ frame: WebSocketMessage, context: DecodeContext, into output: inout DecodedFrame)
        throws(MarketStreamError)

    /// Tells the module that connection `connection` (``DecodeContext/connection``) of `channel`
    /// has ended, so it can drop whatever it kept for that connection. The default does nothing.
    func connectionEnded(_ connection: UInt64, on channel: ChannelID)

    /// The one topic a data frame carries, read without decoding the rest of the frame, for a
    /// router that only passes frames on (a gateway's); `nil` when the module cannot tell that
    /// cheaply and for certain, and the router then decodes the frame as usual.
    ///
    /// Return a topic only for a frame that ``decode(_:context:into:)`` would turn into events
    /// of that topic alone, or reject: never for a control frame, a list of events, or a frame
    /// whose routing needs more than its topic (a book whose depth or grouping the frame says).
    /// Called on the read path for every frame: keep it cheap, and never block. The default returns `nil`.
    /// - Parameters:
    ///   - frame: The frame, as received.
    ///   - exchange: The exchange the topic names (the router's for this module).
    func forwardedTopic(of frame: WebSocketMessage, exchange: ExchangeID) -> SubscriptionTopic?

    /// Whether ``decode(_:context:into:)`` depends on nothing but the frame and its context (it
    /// keeps no state from one frame to the next), so that frames may be decoded ahead of the read
    /// path, on another thread, with the same result: a replay does. `false` unless the module
    /// says so.
    var decodesFramesIndependently: Bool { get }

    /// Encodes a subscription change as the messages to send, validating it first.
    ///
    /// The refinements provide this. Each returned message counts against the channel's
    /// message limits.
    /// - Throws: ``MarketStreamError`` with `.requestRejected` for a request the exchange would reject.
    func messages(for request: SubscriptionRequest) throws(MarketStreamError) -> [OutboundMessage]

    /// A message asking the exchange for the connection's current subscriptions (Upbit's
    /// `LIST_SUBSCRIPTIONS`), answered with a ``ControlMessage/subscriptionList(_:)``; `nil` when
    /// the exchange has none. The router sends it periodically, within the message budget, and
    /// resends the set when the exchange has silently dropped part of it.
    func auditMessage(for channel: ChannelID) -> OutboundMessage?

    /// What the exchange's subscription list (the answer to ``auditMessage(for:)``) holds when the
    /// router's last request carried `upstream`: `upstream` itself, unless the module asks the
    /// exchange for something else (Upbit's module requests one book depth per market).
    func expectedSubscriptionList(for upstream: Set<SubscriptionTopic>, on channel: ChannelID) -> Set<SubscriptionTopic>

    /// Whether the venue serves `topic` as asked, checked when a subscriber asks for it: `nil`
    /// when it does, otherwise the error to throw (a book depth the channel does not list, a
    /// price grouping the venue has not, a market the venue cannot name).
    ///
    /// The default checks book depths against ``ExchangeChannel/orderbookDepths`` and refuses any
    /// grouping level; a module with more rules calls ``validateOrderbook(_:on:allowsLevel:)``.
    func validate(_ topic: SubscriptionTopic, on channel: ExchangeChannel) -> MarketStreamError?
}

extension AbstractWebSocketManager {
    /// Keeps nothing per connection.
    public func connectionEnded(_ connection: UInt64, on channel: ChannelID) {}

    /// A module may keep state from frame to frame unless it says it does not.
    public var decodesFramesIndependently: Bool { false }

    /// Tells no topic without decoding: every frame is decoded.
    public func forwardedTopic(of frame: WebSocketMessage, exchange: ExchangeID) -> SubscriptionTopic? { nil }

    /// No subscription audit unless the module offers one.
    public func auditMessage(for channel: ChannelID) -> OutboundMessage? { nil }

    /// The exchange lists exactly what it was sent.
    public func expectedSubscriptionList(for upstream: Set<SubscriptionTopic>, on channel: ChannelID)
        -> Set<SubscriptionTopic>
    {
        upstream
    }

    public func validate(_ topic: SubscriptionTopic, on channel: ExchangeChannel) -> MarketStreamError? {
        validateOrderbook(topic, on: channel, allowsLevel: false)
    }

    /// Checks a book topic's depth against the channel's declared depths and its grouping level
    /// against `allowsLevel`: the check every venue needs.
    /// - Returns: `nil` when the topic is not a book or is served, otherwise an
    ///   ``MarketStreamError/Code/unsupportedDataKind`` error naming what the venue offers.
    public func validateOrderbook(_ topic: SubscriptionTopic, on channel: ExchangeChannel, allowsLevel: Bool)
        -> MarketStreamError?
    {
        guard topic.kind.isOrderbook else { return nil }
        if let depth = topic.kind.orderbookDepth, !channel.orderbookDepths.contains(depth) {
            let offered = channel.orderbookDepths.sorted().map(\.description).joined(separator: ", ")
            return MarketStreamError(
                .unsupportedDataKind,
                "\(exchange) has no \(depth)-level order book: "
                    + (offered.isEmpty ? "use orderbook" : "use orderbook or orderbook.{\(offered)}"),
                exchange: exchange)
        }
        if topic.kind.orderbookLevel != nil, !allowsLevel {
            return MarketStreamError(
                .unsupportedDataKind, "\(exchange) does not group \(topic.market) order books by price level",
                exchange: exchange)
        }
        return nil
    }

    /// Every channel is available unless a refinement says otherwise.
    public func unavailability(of channel: ChannelID) -> MarketStreamError? { nil }

    /// The channel that carries `kind`, if any.
    public func channel(carrying kind: DataKind) -> ExchangeChannel? {
        channels.first { $0.carries(kind) }
    }
}

/// The router's side of one connection, handed to ``AbstractWebSocketManager/connect(to:handler:)``.
public protocol ConnectionHandler: Sendable {
    /// Runs while the connection is open: sends subscription requests and keepalive pings.
    /// Returning or throwing ends the connection.
    /// - Parameter outbound: Sends frames on this connection.
    func run(outbound: any WebSocketOutbound) async throws

    /// Takes one inbound data frame, received now. Never blocks.
    func receive(_ frame: WebSocketMessage)

    /// Takes inbound data frames received at the times given, in order; the subscribers are woken
    /// once, after the last frame's events, instead of after each frame. For a source that has
    /// several frames at hand at once (a replay). Never blocks.
    func receive(contentsOf frames: [ReceivedFrame])

    /// Takes inbound data frames received now, in order; the subscribers are woken once, after
    /// the last frame's events. For a source that learns that more frames are right behind the
    /// one at hand (a message bus client with messages pending) and hands them over together.
    /// Never blocks.
    func receive(contentsOf frames: [WebSocketMessage])

    /// Takes a pong (or any other sign of life that is not a data frame).
    func receivedPong()

    /// Counts inbound frames the transport dropped before they reached ``receive(_:)``: a message
    /// bus client's slow-consumer drops. They show in the channel's health as
    /// `transportDroppedFrames`. A WebSocket never drops (TCP holds the sender back), so its
    /// transport never calls this.
    /// - Parameter count: Frames dropped since the last call.
    func transportDropped(_ count: Int)

    /// Which of the channel's connections (shards) this is: 0 unless the venue limits the streams
    /// a connection carries and the channel's set needs more than one
    /// (``ExchangeChannel/streamsPerConnection``). The frames of a recorded shard are replayed to
    /// the connection of the same shard.
    var shardIndex: Int { get }
}

extension ConnectionHandler {
    /// Shard 0: for handlers of a channel that is not sharded.
    public var shardIndex: Int { 0 }

    /// Ignores the count: for handlers whose transport cannot drop.
    public func transportDropped(_ count: Int) {}

    /// Takes the frames one by one with ``receive(_:)``: for handlers that keep no receive times.
    public func receive(contentsOf frames: [ReceivedFrame]) {
        for frame in frames { receive(frame.message) }
    }

    /// Takes the frames one by one with ``receive(_:)``.
    public func receive(contentsOf frames: [WebSocketMessage]) {
        for frame in frames { receive(frame) }
    }
}

/// An inbound frame and when it was received: what ``ConnectionHandler/receive(contentsOf:)``
/// takes.
public struct ReceivedFrame: Sendable {
    /// The frame.
    public var message: WebSocketMessage
    /// When it was received.
    public var receivedAt: UnixTime

    /// A frame received at `receivedAt`.
    public init(_ message: WebSocketMessage, receivedAt: UnixTime) {
        self.message = message
        self.receivedAt = receivedAt
    }
}

/// Sends frames on one open connection.
public protocol WebSocketOutbound: Sendable {
    /// Sends a message.
    func send(_ message: OutboundMessage) async throws
    /// Sends a protocol-level ping.
    func sendPing() async throws
}

/// An exchange where every subscribe message replaces the connection's whole subscription set.
///
/// Encode the *entire* desired set, plus any snapshot topics; topics that are live must be
/// re-listed so that a snapshot never ends their stream (Upbit: `is_only_realtime`).
public protocol OverwriteSubscriptionManager: AbstractWebSocketManager {
    /// Encodes the whole set as one message.
    ///
    /// `request.desired` is every topic that must stay or become live; `request.added` says which
    /// of them are new (an exchange that re-snapshots on every request can mark the others
    /// realtime-only); `request.snapshots` are topics whose current state is asked for once.
    /// - Parameter request: The consolidated change.
    /// - Returns: The message, or `nil` when the set cannot be expressed as a message (an empty
    ///   set): the router then replaces the connection with a fresh, empty one.
    /// - Throws: ``MarketStreamError`` with `.requestRejected` when the request is invalid.
    func overwriteMessage(for request: SubscriptionRequest) throws(MarketStreamError) -> OutboundMessage?
}

extension OverwriteSubscriptionManager {
    public func messages(for request: SubscriptionRequest) throws(MarketStreamError) -> [OutboundMessage] {
        try overwriteMessage(for: request).map { [$0] } ?? []
    }
}

/// An exchange with subscribe and unsubscribe messages that change the set by a difference.
public protocol IncrementalSubscriptionManager: AbstractWebSocketManager {
    /// The topics to keep subscribed upstream for `desired`: `desired` itself unless one stream
    /// serves several topics (Binance: every book depth of a market reads one partial-book
    /// stream, cut by the router). The router sends the difference of this set before and after
    /// each change, so a stream stays while any topic it serves is wanted.
    func requestedTopics(for desired: Set<SubscriptionTopic>) -> Set<SubscriptionTopic>

    /// Encodes the change as messages (typically one subscribe and one unsubscribe).
    /// - Parameters:
    ///   - subscribe: Topics to add (already mapped by ``requestedTopics(for:)``).
    ///   - unsubscribe: Topics to remove (already mapped).
    ///   - snapshots: Topics whose current state is requested once.
    ///   - channel: The channel.
    ///   - firstRequestID: The id to give the first message; later ones count up.
    /// - Throws: ``MarketStreamError`` with `.requestRejected` when the request is invalid.
    func incrementalMessages(
        subscribe: Set<SubscriptionTopic>, unsubscribe: Set<SubscriptionTopic>, snapshots: Set<SubscriptionTopic>,
        channel: ChannelID, firstRequestID: Int
    ) throws(MarketStreamError) -> [OutboundMessage]
}

extension IncrementalSubscriptionManager {
    /// Every topic is its own stream.
    public func requestedTopics(for desired: Set<SubscriptionTopic>) -> Set<SubscriptionTopic> { desired }

    /// The venue lists the streams it was asked for.
    public func expectedSubscriptionList(for upstream: Set<SubscriptionTopic>, on channel: ChannelID)
        -> Set<SubscriptionTopic>
    {
        requestedTopics(for: upstream)
    }

    public func messages(for request: SubscriptionRequest) throws(MarketStreamError) -> [OutboundMessage] {
        let after = requestedTopics(for: request.desired)
        let before = requestedTopics(for: request.desired.subtracting(request.added).union(request.removed))
        return try incrementalMessages(
            subscribe: after.subtracting(before), unsubscribe: before.subtracting(after),
            snapshots: request.snapshots, channel: request.channel, firstRequestID: request.sequence
        )
    }
}

/// An exchange with channels that need credentials (signed upgrade headers, token renewal).
public protocol AuthenticatedWebSocketManager: AbstractWebSocketManager {
    /// Whether credentials are configured.
    var hasCredentials: Bool { get }
}

extension AuthenticatedWebSocketManager {
    public func unavailability(of channel: ChannelID) -> MarketStreamError? {
        guard let descriptor = channels.first(where: { $0.id == channel }), descriptor.requiresAuthentication,
            !hasCredentials
        else { return nil }
        return MarketStreamError(
            .authenticationUnavailable,
            "the \(channel) channel needs API credentials and none are configured",
            exchange: exchange
        )
    }
}

/// An exchange that can answer snapshot requests over REST instead of the live connection.
public protocol RESTSnapshotProvider: AbstractWebSocketManager {
    /// Fetches the current state of `kind` for `markets`.
    /// - Returns: Snapshot events, stamped with generation ``ConnectionGeneration/none``.
    func restSnapshot(of kind: DataKind, markets: [MarketCode]) async throws -> [MarketEvent]
}
