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
    private struct Served: Sendable {
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

    private struct State: Sendable {
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
        /// Whether ``start()`` was called, and the replay waiting for it.
        var startCalled = false
        var startWaiter: CheckedContinuation<Void, Never>?
        /// Callers of ``waitUntilFinished()`` waiting for the end.
        var finishWaiters: [CheckedContinuation<Void, Never>] = []

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
    private let state: Mutex<State>
    private let readAhead: ReplayReadAhead
    private let decodedAhead = Atomic<Int>(0)
    private let wallNanoseconds = WallTime()
    /// Wakes the replay when the router opens a connection.
    private let connectionOpened = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
    private let logger: Logger

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
        let waiter = state.withLock { state in
            state.startCalled = true
            defer { state.startWaiter = nil }
            return state.startWaiter
        }
        waiter?.resume()
    }

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
        connectionOpened.continuation.yield()
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

    // MARK: - Replaying the connections

    /// Hands the records to the router's connections, each to its shard's, until the recording is
    /// over; then ends every connection (the end, in band: every subscriber gets it after the last
    /// event).
    private func feed() async throws {
        // The router opens its first connection when the strategy first subscribes, in its own
        // time: the recording's clock starts then.
        for await _ in connectionOpened.stream where state.withLock({ !$0.served.isEmpty }) { break }
        // A strategy's first subscriptions land before the clock moves: the router then plans and
        // asks for them together, as it did live, where its debounce ran on the wall clock, rather
        // than for whichever had come when the clock jumped.
        switch starts {
        case .whenTheRouterConnects: try await Task.sleep(for: Self.startupSettling)
        case .whenStarted: try await startCalled()
        }
        var frames: [ReceivedFrame] = []
        while let entry = await peek() {
            try Task.checkCancellation()
            let record = entry.record
            let shard = Int(record.shard)
            switch record.kind {
            case .connected:
                advanceCursor()
                try await advance(to: record.receivedAt)
                let wasOpen = state.withLock { !$0.recordedOpen.insert(record.shard).inserted }
                // A new connection began without a recorded end (a crash): the one before ends here.
                if wasOpen { try await end(shard: shard, reason: "the recorded connection ended") }
            case .disconnected:
                advanceCursor()
                try await advance(to: record.receivedAt)
                state.withLock { _ = $0.recordedOpen.remove(record.shard) }
                try await end(shard: shard, reason: "replayed: \(String(decoding: record.bytes, as: UTF8.self))")
            case .sent:
                advanceCursor()
                try await advance(to: record.receivedAt)
                // Compared on the shard's own connection only (on another, it asks for another set).
                if let connection = try await connection(for: shard), connection.shard == shard {
                    try await expectRouterSend(String(decoding: record.bytes, as: UTF8.self), on: shard)
                    state.withLock { $0.served[shard]?.subscribed = true }
                }
            case .frame:
                guard let (target, served) = try await connection(for: shard).map({ ($0.shard, $0.served) }) else {
                    advanceCursor()
                    continue
                }
                if served.subscribed {
                    try await takeFrames(into: &frames)
                    served.handler.receive(contentsOf: frames)
                } else {
                    advanceCursor()
                    try await advance(to: record.receivedAt)
                    // A venue sends nothing before a subscription: when the replay starts inside a
                    // connection, the router subscribes first.
                    _ = try await stepClock(for: .seconds(10)) {
                        self.state.withLock { ($0.served[target]?.sentCount ?? 1) > 0 }
                    }
                    state.withLock { state in
                        if state.served[target]?.id == served.id { state.served[target]?.subscribed = true }
                        state.hand(entry)
                    }
                    served.handler.receive(entry.received.message)
                }
            case .marker:
                advanceCursor()
            }
        }
        for shard in state.withLock({ $0.unmatchedSent.keys.sorted() }) { settleSent(on: shard) }
        let (waiters, served) = state.withLock { state in
            state.finished = true
            defer { state.finishWaiters.removeAll() }
            return (state.finishWaiters, state.served.sorted { $0.key < $1.key }.map(\.value))
        }
        for waiter in waiters { waiter.resume() }
        logger.info("replay finished")
        for connection in served { connection.end.yield(Self.endReason) }
    }

    /// The router's connection that takes the records of the recording's `shard`, and its shard:
    /// the same shard's, once the router has opened it (its clock moved meanwhile); shard 0's when
    /// the router opens none for it (its set is spread over fewer shards than was recorded), noted
    /// as a difference; `nil` when the router has no connection for either.
    private func connection(for shard: Int) async throws -> (shard: Int, served: Served)? {
        if !state.withLock({ $0.unserved.contains(shard) }) {
            let opened = try await stepClock(for: .seconds(10)) {
                self.state.withLock { $0.served[shard] != nil || $0.finished }
            }
            if opened { return state.withLock { $0.served[shard] }.map { (shard, $0) } }
            state.withLock { _ = $0.unserved.insert(shard) }
            noteMismatch(
                "the recording's shard \(shard) has no connection in the replay: its router spreads the set over "
                    + "fewer connections than was recorded (the strategy subscribed to less, or the recording names "
                    + "no streams per connection and the venue module allows more)")
        }
        return state.withLock { $0.served[0] }.map { (0, $0) }
    }

    /// Ends the router's connection of `shard`, if it has one, and waits (moving its clock, for at
    /// most a minute of it) until the router has opened another: nothing is handed to any
    /// connection meanwhile, so every event gets the same generation on every run.
    private func end(shard: Int, reason: String) async throws {
        guard let ended = state.withLock({ $0.served[shard] }) else { return }
        settleSent(on: shard)
        ended.end.yield(reason)
        _ = try await stepClock(for: .seconds(60)) {
            self.state.withLock { state in state.finished || state.served[shard].map { $0.id != ended.id } ?? false }
        }
    }

    /// Returns once ``start()`` has been called.
    /// - Throws: `CancellationError` when the replay is cancelled first.
    private func startCalled() async throws {
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let now = state.withLock { state -> Bool in
                    if state.startCalled || Task.isCancelled { return true }
                    state.startWaiter = continuation
                    return false
                }
                if now { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { state in
                defer { state.startWaiter = nil }
                return state.startWaiter
            }
            waiter?.resume()
        }
        try Task.checkCancellation()
    }

    /// Real time the replay waits, once the router opens its first connection, before it moves
    /// the router's clock (``ReplayStart/whenTheRouterConnects``).
    static let startupSettling = Duration.milliseconds(50)

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
                guard entry.record.kind == .frame, entry.record.shard == first.record.shard else { break }
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
    /// subscription message on `shard`'s connection asks for what the recorded one asked for. The
    /// latest, not the n-th, and a difference counts only once the connection's recorded set is
    /// final: a router may reach the same set in more or fewer messages than it did while
    /// recording (a subscription made while the connection opened went out in a message of its
    /// own, or in the first).
    private func expectRouterSend(_ recorded: String, on shard: Int) async throws {
        let matched = try await stepClock(for: .seconds(1)) { routerSent(recorded, on: shard) }
        // A later recorded message supersedes an earlier one that the router skipped.
        state.withLock { $0.unmatchedSent[shard] = matched ? nil : recorded }
    }

    /// Whether the router's latest subscription message on `shard`'s connection asks for what
    /// `recorded` asked for.
    private func routerSent(_ recorded: String, on shard: Int) -> Bool {
        state.withLock { $0.served[shard]?.latest }.map { SubscriptionComparison.sameRequest($0, recorded) } ?? false
    }

    /// Counts a difference when the last recorded subscription message of `shard`'s connection
    /// is not what the router asks for (called as the connection ends, and at the recording's end).
    private func settleSent(on shard: Int) {
        let (recorded, latest) = state.withLock {
            ($0.unmatchedSent.removeValue(forKey: shard), $0.served[shard]?.latest)
        }
        guard let recorded, !(latest.map { SubscriptionComparison.sameRequest($0, recorded) } ?? false) else { return }
        noteMismatch(
            "the strategy subscribed differently than was recorded: sent \(latest ?? "nothing"), recorded \(recorded)")
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

    /// Replays the recording to the router's connections, then waits: a Service to run beside
    /// the router, until cancelled or a graceful shutdown.
    public func run() async throws {
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
private final class WallTime: Sendable {
    let nanoseconds = Atomic<Int64>(0)
}
