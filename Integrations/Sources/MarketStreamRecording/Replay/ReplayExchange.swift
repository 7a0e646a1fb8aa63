import Clocks
import Foundation
import Logging
import MarketStreamCore
import MarketStreamRouting
import ServiceLifecycle
import Synchronization

/// Recorded frames as an exchange module: the venue's unchanged decoder, driven by the recording.
///
/// Give the router the replay's clocks, so its debounce, keepalive and silence watchdog run on the
/// recording's time and every event carries its recorded receive time:
///
/// ```swift
/// let replay = try ReplayExchange(venue: upbit, files: paths, speed: .asFastAsPossible, logger: logger)
/// let router = MarketDataRouter(
///     managers: [replay], configuration: RouterConfiguration(reconnect: ReconnectPolicy(jitter: 0)),
///     clock: replay.routerClock, wallClock: replay.wallClock, logger: logger)
/// // run `replay` and `router`, subscribe as usual, then:
/// let complete = await replay.waitUntilFinished()   // false when stopped (SIGINT) before the end
/// ```
///
/// Each recorded connection is one connection here: the records of a recorded shard (a channel
/// spread over several connections, ``DecodeContext/shard``) go to the router's connection of the
/// same shard, in the recording's order, the recorded disconnect ends it, and the router
/// reconnects it (a new generation) to go on. While one connection is between its recorded end and
/// the router's new one, nothing is handed to any other: every event is stamped with the same
/// generation on every run. The router's own subscription messages on each connection are
/// compared with the ones recorded on its shard (request identifiers such as Upbit's `ticket`
/// aside), and the last one before the connection ends counts as a difference when it asked for
/// another set (``subscriptionMismatches``, logged once): the strategy asked for another set than
/// was recorded, or its router spreads the set over other shards. A set reached in fewer or more
/// messages than was recorded is no difference. The
/// replay's channels carry the streams per connection the recording's header names
/// (``RecordingHeader/streamsPerConnection``), so a router given the same subscriptions opens the
/// same shards; for a file that names none, the venue module's limit counts, and the records of a
/// shard the router does not open go to its shard 0's connection (that shard's recorded drops are
/// then not reproduced: where the venue's connections drop repeated events, as Binance's do, an
/// event its new connection delivered live may be dropped as a repeat). The recording's clock
/// starts 50 ms (real time) after the router opens its first connection, so the subscriptions a
/// strategy makes one after another at its start are asked for together, as they were live
/// within the router's debounce; a strategy that subscribes in its own time replays with
/// ``ReplayStart/whenStarted`` and calls ``start()`` once it has subscribed. The replay answers
/// pings, as the venue did. Given the same files, code and configuration (no reconnect jitter),
/// the event sequence is the same on every run.
public final class ReplayExchange: AbstractWebSocketManager, Service, Sendable {
    /// A connection of the router's that the replay serves: one a shard at a time.
    struct Served: Sendable {
        let id: Int
        let handler: any ConnectionHandler
        /// Ends the connection, with the reason given.
        let end: AsyncStream<String>.Continuation
        /// How many messages the router sent on it, and the latest.
        var sentCount = 0
        var latest: String?
        /// Whether the replay has waited for the router's first message on it (or seen one).
        var subscribed = false
    }

    struct State: Sendable {
        /// The chunk of records being replayed, and the next one's index in it.
        var chunk = ReplayReadAhead.Chunk()
        var index = 0
        /// The frames being handed to the router: the shard and connection of the recording they
        /// belong to, their decodes ahead, and the next one's index.
        var handingShard: UInt8 = 0
        var handingConnection = 0
        var handing: [ReplayReadAhead.DecodedAhead?] = []
        var handingIndex = 0
        /// The recording's first record: the replay clock's zero.
        var origin: Int64?
        /// Where the replay clock stands, in the recording's nanoseconds.
        var position: Int64 = 0
        /// The router's connections, by shard.
        var served: [Int: Served] = [:]
        var nextServedID = 0
        /// Shards the router did not open when their records came: their records go to shard 0's
        /// connection until it opens one.
        var unserved: Set<Int> = []
        /// The recording's shards whose recorded connection is open (a `connected` record with no
        /// `disconnected` after it yet).
        var recordedOpen: Set<UInt8> = []
        var mismatches = 0
        /// Per shard, the recorded subscription message the router's latest did not match when it
        /// came: a difference unless a later recorded message supersedes it or the router catches up
        /// before the connection ends.
        var unmatchedSent: [Int: String] = [:]
        var finished = false

        /// Starts handing frames over with `entry`, the first of them.
        mutating func hand(_ entry: ReplayReadAhead.Entry) {
            handingShard = entry.record.shard
            handingConnection = entry.connection
            handing.removeAll(keepingCapacity: true)
            handing.append(entry.decoded)
            handingIndex = 0
        }
    }

    /// The venue module whose decoder and rules are used.
    public let venue: any AbstractWebSocketManager
    /// The clock the replay moves to each record's time.
    public let clock: ReplayClock
    /// How fast it replays.
    public let speed: ReplaySpeed
    /// When it starts.
    public let starts: ReplayStart
    let state: Mutex<State>
    let readAhead: ReplayReadAhead
    let decodedAhead = Atomic<Int>(0)
    let wallNanoseconds = WallTime()
    /// Wakes the replay when the router opens a connection (`state.served` changed).
    let connectionOpened = ConditionWaiters()
    /// Wakes a replay that starts when told (``start()``).
    let started = ReadySignal<Void>()
    /// How the replay ended, for ``waitUntilFinished()``: `true` once every record was replayed,
    /// `false` when it stopped before.
    let ended = ReadySignal<Bool>()
    let logger: Logger

    /// Opens recordings for replay.
    /// - Parameters:
    ///   - venue: The module of the venue recorded (its decoder reads the frames).
    ///   - files: The recordings, in time order.
    ///   - from: Replay from this receive time (found through the files' block index).
    ///   - to: Replay up to this receive time.
    ///   - speed: How fast.
    ///   - starts: When it starts (``ReplayStart/whenTheRouterConnects`` by default).
    ///   - logger: Where differences from the recording are logged.
    /// - Throws: ``RecordingError`` when a file cannot be opened or is not a recording, or
    ///   `.invalidArgument` for a scaled speed that is not a positive, finite factor or `to` before `from`.
    public init(
        venue: any AbstractWebSocketManager, files: [String], from: UnixTime? = nil, to: UnixTime? = nil,
        speed: ReplaySpeed = .asFastAsPossible, starts: ReplayStart = .whenTheRouterConnects, logger: Logger
    ) throws(RecordingError) {
        try speed.validate()
        self.venue = venue
        self.speed = speed
        self.starts = starts
        self.logger = logger
        clock = ReplayClock()
        let cursor = try RecordCursor(paths: files, range: try RecordingTime.window(from: from, to: to))
        let recorded = cursor.header?.streamsPerConnection ?? [:]
        channels = venue.channels.map { channel in
            var channel = channel
            if let limit = recorded[channel.id.rawValue] { channel.streamsPerConnection = max(1, limit) }
            return channel
        }
        readAhead = ReplayReadAhead(cursor: cursor, venue: venue)
        state = Mutex(State())
    }

    deinit {
        readAhead.close()
    }

    /// The router's clock: the replay's, which moves to each record's time.
    public var routerClock: AnyClock<Duration> { AnyClock(clock) }

    /// The router's wall clock: the receive time of the record being replayed.
    public var wallClock: @Sendable () -> UnixTime {
        { [wallNanoseconds] in UnixTime(nanoseconds: wallNanoseconds.nanoseconds.load(ordering: .relaxed)) }
    }

    /// Times the router's subscription messages differed from the recorded ones.
    public var subscriptionMismatches: Int { state.withLock { $0.mismatches } }

    /// Frames the router took as they were decoded ahead, on the read-ahead's task, rather than
    /// decoding them on its read path (see ``AbstractWebSocketManager/decodesFramesIndependently``).
    public var framesDecodedAhead: Int { decodedAhead.load(ordering: .relaxed) }

    /// Blocks that could not be read and were skipped.
    public var issues: [RecordingError] { readAhead.issues }

    /// Lets a replay made with ``ReplayStart/whenStarted`` start, once the router has opened its
    /// first connection (at once, if it has): call it when the strategy has subscribed. Calling it
    /// again, or on a replay that starts by itself, changes nothing.
    public func start() {
        started.resolve(())
    }

    /// Returns once every record has been replayed, once the replay stops before that (its
    /// ``run()`` cancelled or shut down), or when the calling task is cancelled; any number of
    /// callers may wait.
    /// - Returns: Whether every record was replayed.
    @discardableResult
    public func waitUntilFinished() async -> Bool {
        (try? await ended.wait()) ?? false
    }

    // MARK: - AbstractWebSocketManager

    public var exchange: ExchangeID { venue.exchange }

    /// The venue's channels, each carrying as many streams a connection as the recording names
    /// (so the router spreads the set over connections as the recorded one did); the keepalive
    /// and silence rules run on the recording's time.
    public let channels: [ExchangeChannel]

    public var connectLimit: RateLimit { venue.connectLimit }

    public func validate(_ topic: SubscriptionTopic, on channel: ExchangeChannel) -> MarketStreamError? {
        venue.validate(topic, on: channel)
    }

    public func messages(for request: SubscriptionRequest) throws(MarketStreamError) -> [OutboundMessage] {
        try venue.messages(for: request)
    }

    /// Decodes with the venue's decoder, or hands over what it decoded ahead for this very frame
    /// and context (``ReplayReadAhead``).
    public func decode(_ frame: WebSocketMessage, context: DecodeContext, into output: inout DecodedFrame)
        throws(MarketStreamError)
    {
        enum Handed {
            case decoded
            case failed(MarketStreamError)
            /// Not decoded ahead (or not with this context): the frame's shard and connection in
            /// the recording.
            case notAhead(shard: UInt8, connection: Int)
        }
        // What was decoded ahead for this frame, from the chunk being handed over.
        let handed = state.withLock { state -> Handed in
            let notAhead = Handed.notAhead(shard: state.handingShard, connection: state.handingConnection)
            guard state.handingIndex < state.handing.count else { return notAhead }
            defer { state.handingIndex += 1 }
            guard let ahead = state.handing[state.handingIndex], ahead.matches(frame, context: context) else {
                return notAhead
            }
            switch ahead.result {
            case .success(let decoded):
                output.events.append(contentsOf: state.chunk.decoded.events[decoded.events])
                output.controls.append(contentsOf: state.chunk.decoded.controls[decoded.controls])
                return .decoded
            case .failure(let error):
                return .failed(error)
            }
        }
        switch handed {
        case .decoded:
            decodedAhead.add(1, ordering: .relaxed)
        case .failed(let error):
            decodedAhead.add(1, ordering: .relaxed)
            throw error
        case .notAhead(let shard, let connection):
            if venue.decodesFramesIndependently { readAhead.learn(context, shard: shard, connection: connection) }
            try venue.decode(frame, context: context, into: &output)
        }
    }

    public var decodesFramesIndependently: Bool { venue.decodesFramesIndependently }

    /// Every channel serves until the recording is over; after that, a subscription is refused
    /// (`.connectionClosed`, "the recording is over") rather than left waiting for events that
    /// cannot come. The venue's own conditions (credentials for a private channel) do not apply.
    public func unavailability(of channel: ChannelID) -> MarketStreamError? {
        guard state.withLock({ $0.finished }) else { return nil }
        return MarketStreamError(
            .connectionClosed, "\(Self.endReason): nothing is left to replay", exchange: exchange)
    }

    /// Serves the router's connection of its shard (``ConnectionHandler/shardIndex``) until the
    /// replay ends it: at its recorded end, or when the recording is over.
    public func connect(to channel: ChannelID, handler: any ConnectionHandler) async throws {
        let shard = handler.shardIndex
        let ending = AsyncStream<String>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let id = state.withLock { state -> Int? in
            guard !state.finished else { return nil }
            state.nextServedID += 1
            state.served[shard] = Served(id: state.nextServedID, handler: handler, end: ending.continuation)
            state.unserved.remove(shard)
            return state.nextServedID
        }
        guard let id else {
            // The recording is over: an open, silent connection (its clock no longer moves).
            while true { try await Task.sleep(for: .seconds(3_600)) }
        }
        connectionOpened.changed()
        defer {
            state.withLock { state in
                if state.served[shard]?.id == id { state.served[shard] = nil }
            }
        }
        let outbound = Outbound(replay: self, shard: shard, id: id, handler: handler)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await handler.run(outbound: outbound) }
            group.addTask {
                for await reason in ending.stream {
                    throw MarketStreamError(.connectionClosed, reason, exchange: self.exchange)
                }
            }
            try await group.next()
            group.cancelAll()
        }
    }

    /// Why the replayed connection ends when the recording is over.
    static let endReason = "the recording is over"

    /// Whether `event` marks the replay's end: the connection event each subscriber gets after the
    /// last recorded event. A consumer that stops there has read every event.
    public static func isEnd(_ event: FeedEvent) -> Bool {
        guard case .connection(let connection) = event, case .reconnecting(_, _, let reason) = connection.kind
        else { return false }
        return reason.message == endReason
    }

    /// Replays the recording to the router's connections, then waits: a Service to run beside
    /// the router, until cancelled or a graceful shutdown.
    public func run() async throws {
        // Whoever waits for the end stops waiting when the replay stops before it.
        defer { ended.resolve(false) }
        do {
            try await cancelWhenGracefulShutdown {
                try await self.feed()
                // The replay is over; the router's connections stay silent until it stops.
                while true { try await Task.sleep(for: .seconds(3_600)) }
            }
        } catch is CancellationError {
            // Stopped: the end a service expects.
        }
    }

    /// What the router sends on a replayed connection: kept for comparison; pings are answered.
    private struct Outbound: WebSocketOutbound {
        let replay: ReplayExchange
        let shard: Int
        let id: Int
        let handler: any ConnectionHandler

        func send(_ message: OutboundMessage) async throws {
            guard case .text(let text) = message else { return }
            replay.state.withLock { state in
                guard state.served[shard]?.id == id else { return }
                state.served[shard]?.sentCount += 1
                state.served[shard]?.latest = text
            }
        }

        func sendPing() async throws { handler.receivedPong() }
    }
}

/// The replay's wall clock, shared with the router's closure.
final class WallTime: Sendable {
    let nanoseconds = Atomic<Int64>(0)
}
