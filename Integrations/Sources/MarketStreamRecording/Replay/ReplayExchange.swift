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
/// await replay.waitUntilFinished()
/// ```
///
/// Each recorded connection is one connection here: frames are handed to the router's handler in
/// order, the recorded disconnect ends it, and the router reconnects (a new generation) to the
/// next. The router's own subscription messages are compared with the recorded ones (request
/// identifiers such as Upbit's `ticket` aside), and a
/// difference is counted (``subscriptionMismatches``) and logged once: the strategy asked for
/// another set than was recorded. The replay answers pings, as the venue did. Given the same
/// files, code and configuration (no reconnect jitter), the event sequence is the same on every run.
///
/// A replay serves one connection at a time: a venue's channel that is not sharded over several
/// connections, as recorded from one router.
public final class ReplayExchange: AbstractWebSocketManager, Service, Sendable {
    private struct State: Sendable {
        /// The chunk of records being replayed, and the next one's index in it.
        var chunk = ReplayReadAhead.Chunk()
        var index = 0
        /// The frames being handed to the router: which of the recording's connections they
        /// belong to, their decodes ahead, and the next one's index.
        var handingConnection = 0
        var handing: [ReplayReadAhead.DecodedAhead?] = []
        var handingIndex = 0
        /// The recording's first record: the replay clock's zero.
        var origin: Int64?
        /// Where the replay clock stands, in the recording's nanoseconds.
        var position: Int64 = 0
        /// How many messages the router sent, and the latest.
        var routerSentCount = 0
        var routerLatest: String?
        var mismatches = 0
        var connected = false
        var finished = false
        /// Callers of ``waitUntilFinished()`` waiting for the end.
        var finishWaiters: [CheckedContinuation<Void, Never>] = []

        /// Starts handing frames over with `entry`, the first of them.
        mutating func hand(_ entry: ReplayReadAhead.Entry) {
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
    private let state: Mutex<State>
    private let readAhead: ReplayReadAhead
    private let decodedAhead = Atomic<Int>(0)
    private let wallNanoseconds = WallTime()
    private let disconnectedSignal = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
    private let logger: Logger

    /// Opens recordings for replay.
    /// - Parameters:
    ///   - venue: The module of the venue recorded (its decoder reads the frames).
    ///   - files: The recordings, in time order.
    ///   - from: Replay from this receive time (found through the files' block index).
    ///   - to: Replay up to this receive time.
    ///   - speed: How fast.
    ///   - logger: Where differences from the recording are logged.
    /// - Throws: ``RecordingError`` when a file cannot be opened or is not a recording, or
    ///   `.invalidArgument` for a scaled speed that is not a positive, finite factor.
    public init(
        venue: any AbstractWebSocketManager, files: [String], from: UnixTime? = nil, to: UnixTime? = nil,
        speed: ReplaySpeed = .asFastAsPossible, logger: Logger
    ) throws(RecordingError) {
        try speed.validate()
        self.venue = venue
        self.speed = speed
        self.logger = logger
        clock = ReplayClock()
        let range = (from?.nanoseconds ?? .min)...(to?.nanoseconds ?? .max)
        readAhead = ReplayReadAhead(cursor: try RecordCursor(paths: files, range: range), venue: venue)
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

    /// Returns once every record has been replayed (any number of callers may wait).
    public func waitUntilFinished() async {
        await withCheckedContinuation { continuation in
            let finished = state.withLock { state in
                if !state.finished { state.finishWaiters.append(continuation) }
                return state.finished
            }
            if finished { continuation.resume() }
        }
    }

    // MARK: - AbstractWebSocketManager

    public var exchange: ExchangeID { venue.exchange }

    /// The venue's channels; the keepalive and silence rules run on the recording's time.
    public var channels: [ExchangeChannel] { venue.channels }

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
            /// Not decoded ahead (or not with this context): the frame's connection in the recording.
            case notAhead(connection: Int)
        }
        // What was decoded ahead for this frame, from the chunk being handed over.
        let handed = state.withLock { state -> Handed in
            let connection = state.handingConnection
            guard state.handingIndex < state.handing.count else { return .notAhead(connection: connection) }
            defer { state.handingIndex += 1 }
            guard let ahead = state.handing[state.handingIndex], ahead.matches(frame, context: context) else {
                return .notAhead(connection: connection)
            }
            switch ahead.result {
            case .success(let decoded):
                output.events.append(contentsOf: state.chunk.events[decoded.events])
                output.controls.append(contentsOf: state.chunk.controls[decoded.controls])
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
        case .notAhead(let connection):
            if venue.decodesFramesIndependently { readAhead.learn(context, connection: connection) }
            try venue.decode(frame, context: context, into: &output)
        }
    }

    public var decodesFramesIndependently: Bool { venue.decodesFramesIndependently }

    public func connect(to channel: ChannelID, handler: any ConnectionHandler) async throws {
        guard !state.withLock({ $0.finished }) else {
            // The recording is over: an open, silent connection (its clock no longer moves).
            while true { try await Task.sleep(for: .seconds(3_600)) }
        }
        state.withLock { $0.connected = true }
        defer {
            state.withLock { $0.connected = false }
            disconnectedSignal.continuation.yield()
        }
        let outbound = Outbound(replay: self, handler: handler)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await handler.run(outbound: outbound) }
            group.addTask { try await self.feed(handler) }
            try await group.next()
            group.cancelAll()
        }
    }

    // MARK: - Replaying a connection

    /// Hands the connection's records to the router until its recorded end.
    private func feed(_ handler: any ConnectionHandler) async throws {
        let sentBefore = state.withLock { $0.routerSentCount }
        var subscribed = false
        var frames: [ReceivedFrame] = []
        if let opening = await peek()?.record, opening.kind == .connected {
            advanceCursor()
            try await advance(to: opening.receivedAt)
        }
        while let entry = await peek() {
            try Task.checkCancellation()
            let record = entry.record
            switch record.kind {
            case .connected:
                // A new connection began without a recorded end (a crash): this one ends here.
                throw MarketStreamError(.connectionClosed, "the recorded connection ended", exchange: exchange)
            case .disconnected:
                advanceCursor()
                try await advance(to: record.receivedAt)
                let reason = String(decoding: record.bytes, as: UTF8.self)
                throw MarketStreamError(.connectionClosed, "replayed: \(reason)", exchange: exchange)
            case .sent:
                advanceCursor()
                try await advance(to: record.receivedAt)
                try await expectRouterSend(String(decoding: record.bytes, as: UTF8.self))
                subscribed = true
            case .frame where !subscribed:
                advanceCursor()
                try await advance(to: record.receivedAt)
                // A venue sends nothing before a subscription: when the replay starts inside a
                // connection, the router subscribes first.
                _ = try await stepClock(for: .seconds(10)) {
                    self.state.withLock { $0.routerSentCount > sentBefore }
                }
                subscribed = true
                state.withLock { $0.hand(entry) }
                handler.receive(entry.received.message)
            case .frame:
                try await takeFrames(into: &frames)
                handler.receive(contentsOf: frames)
            case .marker:
                advanceCursor()
            }
        }
        let waiters = state.withLock { state in
            state.finished = true
            defer { state.finishWaiters.removeAll() }
            return state.finishWaiters
        }
        for waiter in waiters { waiter.resume() }
        logger.info("replay finished")
        // The end, in band: every subscriber gets this connection's end after the last event.
        throw MarketStreamError(.connectionClosed, Self.endReason, exchange: exchange)
    }

    /// Frames handed to the router at once, as fast as possible (it wakes its subscribers once per
    /// batch, not once per frame).
    static let framesPerBatch = 64

    /// Takes the frame at the cursor and, as fast as possible, the frames right after it that the
    /// router may take at once: up to ``framesPerBatch``, and none at or past the deadline of a
    /// timer of the router's (the clock wakes the timer between two frames, as it would one frame
    /// at a time). Notes their decodes ahead for ``decode(_:context:into:)``, and leaves the clock
    /// at the last frame's time.
    private func takeFrames(into frames: inout [ReceivedFrame]) async throws {
        frames.removeAll(keepingCapacity: true)
        guard let first = await peek() else { return }
        advanceCursor()
        try await advance(to: first.record.receivedAt)
        frames.append(first.received)
        let deadline = speed == .asFastAsPossible ? clock.nextDeadline?.offset : nil
        state.withLock { state in
            state.hand(first)
            guard speed == .asFastAsPossible else { return }
            let origin = state.origin ?? first.record.receivedAt.nanoseconds
            while frames.count < Self.framesPerBatch, state.index < state.chunk.entries.count {
                let entry = state.chunk.entries[state.index]
                guard entry.record.kind == .frame else { break }
                if let deadline, .nanoseconds(entry.record.receivedAt.nanoseconds - origin) >= deadline { break }
                state.index += 1
                frames.append(entry.received)
                state.handing.append(entry.decoded)
            }
        }
        if frames.count > 1, let last = frames.last { try await advance(to: last.receivedAt) }
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

    /// The next record, without moving past it (waiting for the read-ahead when needed).
    private func peek() async -> ReplayReadAhead.Entry? {
        while true {
            if let entry = state.withLock({ $0.index < $0.chunk.entries.count ? $0.chunk.entries[$0.index] : nil }) {
                return entry
            }
            guard let chunk = await readAhead.next() else { return nil }
            state.withLock { state in
                state.chunk = chunk
                state.index = 0
            }
        }
    }

    /// Moves past the record ``peek()`` returned.
    private func advanceCursor() {
        state.withLock { state in state.index = min(state.index + 1, state.chunk.entries.count) }
    }

    /// Moves the replay to `time`: the wall clock at once, the router's clock after the wait the
    /// speed asks for.
    private func advance(to time: UnixTime) async throws {
        wallNanoseconds.nanoseconds.store(time.nanoseconds, ordering: .relaxed)
        let step = state.withLock { state -> Int64 in
            let origin = state.origin ?? time.nanoseconds
            state.origin = origin
            let target = time.nanoseconds - origin
            defer { state.position = max(state.position, target) }
            return max(0, target - state.position)
        }
        guard step > 0 else { return }
        if let wait = speed.wait(forRecorded: step) { try await Task.sleep(for: wait) }
        await clock.advance(by: .nanoseconds(step))
    }

    /// Waits (moving the router's clock, for at most a second of it) until the router's latest
    /// subscription message asks for what the recorded one asked for. The latest, not the n-th: a
    /// router may reach the same set in more or fewer messages than it did while recording (a
    /// subscription made while the connection opened).
    private func expectRouterSend(_ recorded: String) async throws {
        let matched = try await stepClock(for: .seconds(1)) {
            self.state.withLock { $0.routerLatest }.map { SubscriptionComparison.sameRequest($0, recorded) } ?? false
        }
        if !matched {
            let latest = state.withLock { $0.routerLatest } ?? "nothing"
            noteMismatch("the strategy subscribed differently than was recorded: sent \(latest), recorded \(recorded)")
        }
    }

    /// Moves the router's clock a millisecond at a time (its debounce, its backoff) until `done`
    /// holds or `limit` of its time has passed.
    /// - Returns: Whether `done` held.
    private func stepClock(for limit: Duration, until done: () -> Bool) async throws -> Bool {
        var waited = Duration.zero
        while !done() {
            try Task.checkCancellation()
            guard waited < limit else { return false }
            // Settling first: the router gets to start the sleep it is about to (its debounce, its
            // backoff) before its clock moves.
            await clock.advance(by: .milliseconds(1), settling: true)
            state.withLock { $0.position += 1_000_000 }
            waited += .milliseconds(1)
        }
        return true
    }

    private func noteMismatch(_ message: String) {
        let first = state.withLock { state -> Bool in
            state.mismatches += 1
            return state.mismatches == 1
        }
        if first { logger.warning("\(message)") }
    }

    /// Moves the router's clock while it is between connections (backing off), until it connects
    /// again or the recording is over: a Service to run beside the router, until cancelled or a
    /// graceful shutdown.
    public func run() async throws {
        try await cancelWhenGracefulShutdown { try await self.driveBetweenConnections() }
    }

    private func driveBetweenConnections() async throws {
        for await _ in disconnectedSignal.stream {
            _ = try await stepClock(for: .seconds(600)) { self.state.withLock { $0.connected || $0.finished } }
        }
    }

    /// What the router sends on a replayed connection: kept for comparison; pings are answered.
    private struct Outbound: WebSocketOutbound {
        let replay: ReplayExchange
        let handler: any ConnectionHandler

        func send(_ message: OutboundMessage) async throws {
            guard case .text(let text) = message else { return }
            replay.state.withLock { state in
                state.routerSentCount += 1
                state.routerLatest = text
            }
        }

        func sendPing() async throws { handler.receivedPong() }
    }
}

/// The replay's wall clock, shared with the router's closure.
private final class WallTime: Sendable {
    let nanoseconds = Atomic<Int64>(0)
}
