import MarketStreamCore
import Synchronization

/// A scriptable exchange that lives in memory: the test double of the router's tests and the
/// `marketstream demo` command.
///
/// It implements the ``AbstractWebSocketManager`` hierarchy in the overwrite style (each request
/// replaces the connection's whole set, as on Upbit) or, with ``Style/incremental``, with
/// subscribe/unsubscribe requests and acknowledgements. It records every upstream message, and
/// a test can emit frames, send error frames, drop or refuse connections, and stop answering.
///
/// Channels: `public` (ticker, trade, orderbook, candles; stays warm) and `private` (myOrder,
/// myAsset; needs credentials).
public final class InMemoryExchange: OverwriteSubscriptionManager, IncrementalSubscriptionManager,
    AuthenticatedWebSocketManager, Sendable
{
    /// How requests change a connection's subscription set.
    public enum Style: Sendable { case overwrite, incremental }

    /// One message the router sent upstream.
    public struct RecordedRequest: Sendable, CustomStringConvertible {
        /// The channel it was sent on.
        public var channel: ChannelID
        /// The connection it was sent on (1 for the first connection of the channel).
        public var connection: Int
        /// The message as sent.
        public var text: String
        /// The parsed request.
        public var request: InMemoryWireFormat.Request
        /// The connection's live set after the request.
        public var liveAfter: Set<SubscriptionTopic>
        /// When it arrived, by the exchange's time source.
        public var receivedAt: Duration

        public var description: String { text }
    }

    private struct Connection: Sendable {
        let number: Int
        let continuation: AsyncStream<ServerAction>.Continuation
        var live: Set<SubscriptionTopic> = []
    }

    enum ServerAction: Sendable {
        case frame(WebSocketMessage)
        case frames([ReceivedFrame])
        case burst([WebSocketMessage])
        case pong
        case close
        case drop(MarketStreamError)
    }

    private struct State: Sendable {
        var connections: [ChannelID: Connection] = [:]
        var connectionCount: [ChannelID: Int] = [:]
        var attempts: [ChannelID: Int] = [:]
        var requests: [RecordedRequest] = []
        var pings = 0
        var refusals = 0
        var answersPings = true
        var latest: [SubscriptionTopic: MarketPayload] = [:]
        var nextTimestamp: Int64 = 1_700_000_000_000
    }

    /// What a test can inspect at any moment.
    public struct Snapshot: Sendable {
        /// Every upstream message so far.
        public var requests: [RecordedRequest]
        /// The live set of each channel's open connection.
        public var live: [ChannelID: Set<SubscriptionTopic>]
        /// Connections made per channel.
        public var connections: [ChannelID: Int]
        /// Connection attempts per channel, refused ones included.
        public var attempts: [ChannelID: Int]
        /// Protocol pings received.
        public var pings: Int
    }

    public let exchange: ExchangeID
    public let channels: [ExchangeChannel]
    public let connectLimit: RateLimit
    public let hasCredentials: Bool
    public let style: Style
    /// Whether ``forwardedTopic(of:exchange:)`` names the topic of ticker and trade frames, as a
    /// module does for routers that forward frames only; otherwise every frame is decoded.
    public let tellsForwardedTopics: Bool
    private let decodes = Atomic<Int>(0)
    private let state = Mutex(State())
    /// Tests waiting for a condition on the exchange's state, woken after each change.
    private let waiters = ConditionWaiters()
    private let timeSource: @Sendable () -> Duration

    /// Creates an in-memory exchange.
    /// - Parameters:
    ///   - exchange: Its identifier (default `memory`).
    ///   - style: Overwrite (Upbit-like, default) or incremental requests.
    ///   - hasCredentials: Whether the private channel is usable.
    ///   - messageLimits: Outbound limits per connection (default 5/s and 100/min, as Upbit).
    ///   - connectLimit: Connection attempts allowed (default 5/s, as Upbit).
    ///   - keepaliveInterval: Ping interval.
    ///   - silenceTolerance: Silence that counts as a stall.
    ///   - orderbookDepths: The book depths the public channel serves (default Upbit's).
    ///   - timeSource: Stamps recorded requests (for example the offset of a test clock).
    ///   - tellsForwardedTopics: Whether it tells ticker and trade frames' topics without decoding
    ///     them (``forwardedTopic(of:exchange:)``).
    public init(
        exchange: ExchangeID = "memory", style: Style = .overwrite, hasCredentials: Bool = false,
        messageLimits: [RateLimit] = [RateLimit(5, per: .seconds(1)), RateLimit(100, per: .seconds(60))],
        connectLimit: RateLimit = RateLimit(5, per: .seconds(1)), keepaliveInterval: Duration = .seconds(25),
        silenceTolerance: Duration = .seconds(60),
        orderbookDepths: Set<OrderbookDepth> = [.one, .five, .fifteen, .thirty],
        timeSource: @escaping @Sendable () -> Duration = { .zero }, tellsForwardedTopics: Bool = false
    ) {
        self.timeSource = timeSource
        self.tellsForwardedTopics = tellsForwardedTopics
        self.exchange = exchange
        self.style = style
        self.hasCredentials = hasCredentials
        self.connectLimit = connectLimit
        let publicFamilies = Set(DataKind.publicBuiltIns.map(\.family))
        channels = [
            ExchangeChannel(
                id: .public, families: publicFamilies, messageLimits: messageLimits,
                keepaliveInterval: keepaliveInterval, silenceTolerance: silenceTolerance, staysWarm: true,
                orderbookDepths: orderbookDepths),
            ExchangeChannel(
                id: .private, families: ["myOrder", "myAsset"], requiresAuthentication: true,
                messageLimits: messageLimits, keepaliveInterval: keepaliveInterval, silenceTolerance: silenceTolerance),
        ]
    }

    // MARK: - AbstractWebSocketManager

    /// Books of the declared depths, grouped by any level: the test double refuses nothing else.
    public func validate(_ topic: SubscriptionTopic, on channel: ExchangeChannel) -> MarketStreamError? {
        validateOrderbook(topic, on: channel, allowsLevel: true)
    }

    public func connect(to channel: ChannelID, handler: any ConnectionHandler) async throws {
        let (stream, continuation) = AsyncStream.makeStream(of: ServerAction.self)
        let admitted: Result<Int, MarketStreamError> = state.withLock { state in
            state.attempts[channel, default: 0] += 1
            if state.refusals > 0 {
                state.refusals -= 1
                return .failure(
                    MarketStreamError(
                        .connectionRefused, "connection refused by the in-memory exchange", exchange: exchange))
            }
            state.connections[channel]?.continuation.finish()
            let number = state.connectionCount[channel, default: 0] + 1
            state.connectionCount[channel] = number
            state.connections[channel] = Connection(number: number, continuation: continuation)
            return .success(number)
        }
        notifyWaiters()
        let number = try admitted.get()
        defer {
            state.withLock { state in
                if state.connections[channel]?.number == number { state.connections[channel] = nil }
            }
            notifyWaiters()
        }
        let outbound = Outbound(exchange: self, channel: channel, number: number)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await handler.run(outbound: outbound) }
            group.addTask {
                for await action in stream {
                    switch action {
                    case .frame(let frame): handler.receive(frame)
                    case .frames(let frames): handler.receive(contentsOf: frames)
                    case .burst(let frames): handler.receive(contentsOf: frames)
                    case .pong: handler.receivedPong()
                    case .close: return
                    case .drop(let error): throw error
                    }
                }
            }
            defer { group.cancelAll() }
            try await group.next()
        }
    }

    public func decode(_ frame: WebSocketMessage, context: DecodeContext, into output: inout DecodedFrame)
        throws(MarketStreamError)
    {
        decodes.add(1, ordering: .relaxed)
        try InMemoryWireFormat.decode(frame, context: context, into: &output)
    }

    /// Frames decoded so far (``decode(_:context:into:)`` calls).
    public var decodedFrames: Int { decodes.load(ordering: .relaxed) }

    public func forwardedTopic(of frame: WebSocketMessage, exchange: ExchangeID) -> SubscriptionTopic? {
        tellsForwardedTopics ? InMemoryWireFormat.forwardedTopic(frame, exchange: exchange) : nil
    }

    public func messages(for request: SubscriptionRequest) throws(MarketStreamError) -> [OutboundMessage] {
        switch style {
        case .overwrite:
            return try overwriteMessage(for: request).map { [$0] } ?? []
        case .incremental:
            return try incrementalMessages(
                subscribe: request.added, unsubscribe: request.removed, snapshots: request.snapshots,
                channel: request.channel, firstRequestID: request.sequence)
        }
    }

    public func overwriteMessage(for request: SubscriptionRequest) throws(MarketStreamError) -> OutboundMessage? {
        try validate(request.desired.union(request.snapshots), channel: request.channel)
        guard !request.desired.isEmpty || !request.snapshots.isEmpty else { return nil }
        var topics: [(SubscriptionTopic, InMemoryWireFormat.Mode)] = []
        for topic in request.desired {
            let fresh = request.added.contains(topic) || request.snapshots.contains(topic)
            topics.append((topic, fresh ? .liveAndSnapshot : .live))
        }
        for topic in request.snapshots where !request.desired.contains(topic) { topics.append((topic, .snapshot)) }
        return .text(InMemoryWireFormat.encode(verb: "REQUEST", id: request.sequence, topics: topics))
    }

    public func incrementalMessages(
        subscribe: Set<SubscriptionTopic>, unsubscribe: Set<SubscriptionTopic>, snapshots: Set<SubscriptionTopic>,
        channel: ChannelID, firstRequestID: Int
    ) throws(MarketStreamError) -> [OutboundMessage] {
        try validate(subscribe.union(snapshots), channel: channel)
        var messages: [OutboundMessage] = []
        var id = firstRequestID
        if !unsubscribe.isEmpty {
            messages.append(
                .text(InMemoryWireFormat.encode(verb: "UNSUBSCRIBE", id: id, topics: unsubscribe.map { ($0, .live) })))
            id += 1
        }
        let subscribeTopics =
            subscribe.map { ($0, InMemoryWireFormat.Mode.liveAndSnapshot) }
            + snapshots.subtracting(subscribe).map { ($0, InMemoryWireFormat.Mode.snapshot) }
        if !subscribeTopics.isEmpty {
            messages.append(.text(InMemoryWireFormat.encode(verb: "SUBSCRIBE", id: id, topics: subscribeTopics)))
        }
        return messages
    }

    private func validate(_ topics: Set<SubscriptionTopic>, channel: ChannelID) throws(MarketStreamError) {
        guard let descriptor = channels.first(where: { $0.id == channel }) else {
            throw MarketStreamError(.requestRejected, "unknown channel \(channel)", exchange: exchange)
        }
        for topic in topics where !descriptor.carries(topic.kind) || topic.exchange != exchange {
            throw MarketStreamError(.requestRejected, "\(channel) does not carry \(topic)", exchange: exchange)
        }
    }

    // MARK: - Server side

    fileprivate func receive(_ message: OutboundMessage, channel: ChannelID, number: Int) throws {
        guard case .text(let text) = message else { return }
        let now = timeSource()
        // Replies are queued under the lock, so nothing emitted later can overtake them.
        state.withLock { state in
            guard var connection = state.connections[channel], connection.number == number else { return }
            guard let request = InMemoryWireFormat.parseRequest(text, exchange: exchange) else {
                connection.continuation.yield(.frame(.text("ERR|WRONG_FORMAT|cannot parse request")))
                connection.continuation.yield(.close)
                return
            }
            switch request.verb {
            case "REQUEST": connection.live = request.liveTopics
            case "SUBSCRIBE":
                connection.live.formUnion(request.liveTopics)
                connection.continuation.yield(.frame(.text("ACK|\(request.id)")))
            case "UNSUBSCRIBE":
                connection.live.subtract(request.topics.keys)
                connection.continuation.yield(.frame(.text("ACK|\(request.id)")))
            default:
                connection.continuation.yield(.frame(.text("ERR|WRONG_FORMAT|unknown verb")))
                connection.continuation.yield(.close)
                return
            }
            state.connections[channel] = connection
            state.requests.append(
                RecordedRequest(
                    channel: channel, connection: number, text: text, request: request, liveAfter: connection.live,
                    receivedAt: now))
            for topic in request.snapshotTopics.sorted(by: { $0.market < $1.market }) {
                let payload = state.latest[topic] ?? Self.defaultPayload(for: topic.kind)
                state.nextTimestamp += 1
                let frame = InMemoryWireFormat.encode(
                    payload, kind: topic.kind, market: topic.market, stream: .snapshot,
                    timestamp: UnixTime(milliseconds: state.nextTimestamp))
                connection.continuation.yield(.frame(.text(frame)))
            }
        }
        notifyWaiters()
    }

    fileprivate func receivePing(channel: ChannelID, number: Int) {
        let continuation: AsyncStream<ServerAction>.Continuation? = state.withLock { state in
            state.pings += 1
            guard state.answersPings, let connection = state.connections[channel], connection.number == number else {
                return nil
            }
            return connection.continuation
        }
        continuation?.yield(.pong)
        notifyWaiters()
    }

    static func defaultPayload(for kind: DataKind) -> MarketPayload {
        switch kind.family {
        case "trade": .trade(Trade(id: 1, price: 1_000, size: 1, side: .bid))
        case "orderbook":
            .orderbook(
                Orderbook(
                    totalAskSize: 1, totalBidSize: 1,
                    units: [Orderbook.Unit(askPrice: 1_001, bidPrice: 999, askSize: 1, bidSize: 1)]))
        case "myOrder": .myOrder(MyOrder(uuid: "none", side: .bid, orderType: "limit", state: "wait"))
        case "myAsset": .myAsset(MyAsset(assetUUID: "none", assets: [], assetTimestamp: UnixTime(nanoseconds: 0)))
        default:
            if kind.candleInterval != nil {
                .candle(
                    Candle(
                        start: UnixTime(milliseconds: 1_767_225_600_000), open: 1_000, high: 1_000, low: 1_000,
                        close: 1_000, volume: 0, quoteVolume: 0))
            } else {
                .ticker(Ticker(price: 1_000))
            }
        }
    }

    private struct Outbound: WebSocketOutbound {
        let exchange: InMemoryExchange
        let channel: ChannelID
        let number: Int

        func send(_ message: OutboundMessage) async throws {
            try exchange.receive(message, channel: channel, number: number)
        }

        func sendPing() async throws {
            exchange.receivePing(channel: channel, number: number)
        }
    }

    // MARK: - Waiting

    private func notifyWaiters() { waiters.changed() }

    private static func snapshot(of state: State) -> Snapshot {
        Snapshot(
            requests: state.requests, live: state.connections.mapValues(\.live),
            connections: state.connectionCount, attempts: state.attempts, pings: state.pings)
    }

    /// The exchange's state now.
    public var snapshot: Snapshot { state.withLock { Self.snapshot(of: $0) } }

    /// Suspends until `condition` holds (checked after every change of the exchange's state), or
    /// until the calling task is cancelled (a test's time limit), so a wait for what never happens
    /// fails its test instead of hanging the run.
    /// - Parameter condition: The condition on the exchange's state.
    public func waitUntil(_ condition: @escaping @Sendable (Snapshot) -> Bool) async {
        await waiters.wait(until: { condition(self.snapshot) })
    }

    /// Suspends until at least `count` upstream messages have been received.
    public func waitForRequests(_ count: Int) async {
        await waitUntil { $0.requests.count >= count }
    }

    /// Suspends until `channel` has an open connection numbered at least `number`.
    public func waitForConnection(_ number: Int, on channel: ChannelID = .public) async {
        await waitUntil { ($0.connections[channel] ?? 0) >= number && $0.live[channel] != nil }
    }

    // MARK: - Scripting

    /// Sends an event to the open connection of the channel carrying `kind`, if that connection
    /// subscribes to it (as a real exchange would).
    /// - Returns: Whether a connection received it.
    @discardableResult
    public func emit(_ payload: MarketPayload, kind: DataKind, market: MarketCode, stream: StreamKind = .realtime)
        -> Bool
    {
        let topic = SubscriptionTopic(exchange: exchange, kind: kind, market: market)
        guard let channel = channel(carrying: kind)?.id else { return false }
        let delivered: Bool = state.withLock { state in
            state.latest[topic] = payload
            state.nextTimestamp += 1
            guard let connection = state.connections[channel], connection.live.contains(topic) else { return false }
            let frame = InMemoryWireFormat.encode(
                payload, kind: kind, market: market, stream: stream,
                timestamp: UnixTime(milliseconds: state.nextTimestamp))
            connection.continuation.yield(.frame(.text(frame)))
            return true
        }
        return delivered
    }

    /// Emits a ticker with `price`.
    @discardableResult
    public func emitTicker(_ market: MarketCode, price: ExactDecimal) -> Bool {
        emit(.ticker(Ticker(price: price)), kind: .ticker, market: market)
    }

    /// Sends raw bytes as a frame on a channel's open connection (to test malformed input).
    public func sendRawFrame(_ frame: WebSocketMessage, on channel: ChannelID = .public) {
        state.withLock { $0.connections[channel]?.continuation }?.yield(.frame(frame))
    }

    /// Hands several frames to a channel's open connection at once, received at the times given
    /// (``ConnectionHandler/receive(contentsOf:)``, as a replay does).
    public func sendFrames(_ frames: [ReceivedFrame], on channel: ChannelID = .public) {
        state.withLock { $0.connections[channel]?.continuation }?.yield(.frames(frames))
    }

    /// Hands several frames to a channel's open connection at once, received now
    /// (``ConnectionHandler/receive(contentsOf:)``, as a message bus client with messages pending does).
    public func sendBurst(_ frames: [WebSocketMessage], on channel: ChannelID = .public) {
        state.withLock { $0.connections[channel]?.continuation }?.yield(.burst(frames))
    }

    /// Sends an error frame and, like Upbit, closes the connection after it.
    public func sendError(name: String, message: String, on channel: ChannelID = .public, thenClose: Bool = true) {
        let continuation = state.withLock { $0.connections[channel]?.continuation }
        continuation?.yield(.frame(.text("ERR|\(name)|\(message)")))
        if thenClose { continuation?.yield(.close) }
    }

    /// Closes a channel's connection cleanly.
    public func closeConnection(on channel: ChannelID = .public) {
        state.withLock { $0.connections[channel]?.continuation }?.yield(.close)
    }

    /// Drops a channel's connection abruptly (the read fails).
    public func dropConnection(on channel: ChannelID = .public) {
        state.withLock { $0.connections[channel]?.continuation }?.yield(
            .drop(MarketStreamError(.connectionClosed, "connection reset by peer", exchange: exchange)))
    }

    /// Refuses the next `count` connection attempts.
    public func refuseConnections(_ count: Int) {
        state.withLock { $0.refusals = count }
    }

    /// Whether pings are answered; `false` makes a connection stall silently.
    public func answerPings(_ answer: Bool) {
        state.withLock { $0.answersPings = answer }
    }
}
