import MarketStreamCore

/// A recording's public market events, decoded by the venue's unchanged decoder and handed on at
/// the recorded pace: into the mock exchange (`MockExchangeServer.publish(_:)`), so that any
/// client, in any language, subscribes to a recording as to a live venue.
///
/// ```swift
/// let feed = try RecordedMarketFeed(venue: UpbitExchange(logger: logger), files: paths, speed: .original)
/// var configuration = MockExchangeConfiguration()
/// configuration.publishedMarkets = try feed.markets()
/// let server = MockExchangeServer(configuration: configuration, logger: logger)
/// // run the server, then:
/// let summary = try await feed.play(
///     into: { events in server.publish(events) },
///     dropped: { drop in server.dropConnections(carrying: drop.markets) })
/// ```
///
/// A recorded disconnect that the recording goes on after (a reconnect) is played too, at its
/// recorded time, as `dropped`, with the markets the dropped connection carried: the mock drops
/// the client connections subscribed to any of them, as the venue dropped the recorder's. Of a
/// channel recorded over several connections (shards), one shard's drop drops the clients'
/// connections that carry its markets: a client spread over connections as the recorder was keeps
/// the others, and one on a single connection loses it. The end of a recording is not a drop:
/// nothing follows it.
public struct RecordedMarketFeed: Sendable {
    /// A recorded disconnect, as played.
    public struct Drop: Sendable, Hashable {
        /// Why the venue dropped the connection, as recorded.
        public var reason: String
        /// The recorded connection's shard (0 for a channel on one connection).
        public var shard: Int
        /// The markets whose events the dropped connection carried.
        public var markets: Set<MarketCode>

        public init(reason: String, shard: Int, markets: Set<MarketCode>) {
            self.reason = reason
            self.shard = shard
            self.markets = markets
        }
    }

    /// What a playback went through.
    public struct Summary: Sendable, Hashable {
        /// Frames decoded and events handed on.
        public var frames = 0
        public var events = 0
        /// Frames the decoder refused (a venue's malformed frame, recorded as received).
        public var undecodableFrames = 0
        /// Blocks that could not be read, each with its byte offset (the rest was played).
        public var issues: [RecordingError] = []
        /// Recorded disconnects played as `dropped`.
        public var drops = 0
    }

    /// The recorded venue's module, whose decoder reads the frames.
    public let venue: any AbstractWebSocketManager
    /// The recordings, in time order.
    public let files: [String]
    /// How fast to play.
    public let speed: ReplaySpeed
    /// The receive times played (nanoseconds); blocks outside are skipped through the files' index.
    private let window: ClosedRange<Int64>

    /// Checks that each file is a recording.
    /// - Parameters:
    ///   - venue: The recorded venue's module.
    ///   - files: The recordings, in time order.
    ///   - from: Play from this receive time.
    ///   - to: Play up to this receive time.
    ///   - speed: How fast to play.
    /// - Throws: ``RecordingError/cannotOpen(path:reason:)`` or
    ///   ``RecordingError/notARecording(path:)``; ``RecordingError/invalidArgument(_:)`` for no
    ///   files, a speed that is not a positive finite factor, or `to` before `from`.
    public init(
        venue: any AbstractWebSocketManager, files: [String], from: UnixTime? = nil, to: UnixTime? = nil,
        speed: ReplaySpeed
    ) throws(RecordingError) {
        guard !files.isEmpty else { throw .invalidArgument("no recording files given") }
        try speed.validate()
        for path in files { _ = try RecordingReader(path: path) }
        self.venue = venue
        self.files = files
        self.speed = speed
        window = try RecordingTime.window(from: from, to: to)
    }

    /// Every market the recordings hold public events of, in order of first appearance (a pass
    /// over the files, decoding every frame).
    public func markets() throws(RecordingError) -> [MarketCode] {
        var seen: Set<MarketCode> = []
        var markets: [MarketCode] = []
        try forEachFrame { _, events in
            for event in events where !event.kind.isPrivate && seen.insert(event.market).inserted {
                markets.append(event.market)
            }
        }
        return markets
    }

    /// Decodes the recordings and hands each frame's public events to `publish`, waiting between
    /// frames as the speed asks; returns at the recording's end. Cancellation stops it.
    /// - Parameters:
    ///   - publish: Takes each frame's public events (several frames' at once when they are due
    ///     together).
    ///   - dropped: Called for each recorded disconnect the recording goes on after, once the
    ///     events before it were published.
    public func play(
        into publish: ([MarketEvent]) -> Void, dropped: (Drop) -> Void = { _ in }
    ) async throws -> Summary {
        var summary = Summary()
        let clock = ContinuousClock()
        let start = clock.now
        var origin: Int64?
        var batch: [MarketEvent] = []
        var output = DecodedFrame()
        /// Recorded disconnects, played once something follows them.
        var disconnects: [Drop] = []
        /// The markets each recorded connection (by shard) carried since it connected.
        var carried: [UInt8: Set<MarketCode>] = [:]
        /// Publishes what is due; waits until `record`'s time, as the speed asks.
        func pace(to record: Record) async throws {
            let first = origin ?? record.receivedAt.nanoseconds
            origin = first
            guard let wait = speed.wait(forRecorded: record.receivedAt.nanoseconds - first),
                start + wait > clock.now + .milliseconds(1)
            else { return }
            publishBatch()
            try await clock.sleep(until: start + wait)
        }
        func publishBatch() {
            if !batch.isEmpty { publish(batch) }
            batch.removeAll(keepingCapacity: true)
        }
        for path in files {
            let reader = try RecordingReader(path: path)
            let channels = reader.header.channels.map(ChannelID.init(rawValue:))
            for block in reader.blocks() where window.overlaps(block.receivedTimes) {
                try Task.checkCancellation()
                let records: [Record]
                do {
                    records = try reader.records(of: block)
                } catch {
                    summary.issues.append(error)
                    continue
                }
                for record in records where window.contains(record.receivedAt.nanoseconds) {
                    switch record.kind {
                    case .sent, .marker:
                        continue
                    case .disconnected:
                        // Played at its time, once the recording goes on after it.
                        try await pace(to: record)
                        disconnects.append(
                            Drop(
                                reason: String(decoding: record.bytes, as: UTF8.self), shard: Int(record.shard),
                                markets: carried.removeValue(forKey: record.shard) ?? []))
                        continue
                    case .connected, .frame:
                        if record.kind == .connected { carried[record.shard] = nil }
                        guard !disconnects.isEmpty else { break }
                        publishBatch()
                        for drop in disconnects { dropped(drop) }
                        summary.drops += disconnects.count
                        disconnects.removeAll()
                    }
                    guard record.kind == .frame else { continue }
                    try await pace(to: record)
                    summary.frames += 1
                    guard decode(record, channels: channels, into: &output) else {
                        summary.undecodableFrames += 1
                        continue
                    }
                    for event in output.events where !event.kind.isPrivate {
                        batch.append(event)
                        summary.events += 1
                        carried[record.shard, default: []].insert(event.market)
                    }
                }
                // As fast as possible: a block at a time, letting others run in between.
                publishBatch()
                await Task.yield()
            }
        }
        return summary
    }

    /// Hands each decodable frame record and its events to `body`, file by file; unreadable blocks
    /// are skipped.
    private func forEachFrame(_ body: (Record, [MarketEvent]) -> Void) throws(RecordingError) {
        var output = DecodedFrame()
        for path in files {
            let reader = try RecordingReader(path: path)
            let channels = reader.header.channels.map(ChannelID.init(rawValue:))
            for block in reader.blocks() where window.overlaps(block.receivedTimes) {
                guard let records = try? reader.records(of: block) else { continue }
                for record in records
                where record.kind == .frame && window.contains(record.receivedAt.nanoseconds)
                    && decode(record, channels: channels, into: &output)
                {
                    body(record, output.events)
                }
            }
        }
    }

    /// Decodes a frame record into `output` (emptied first).
    /// - Returns: Whether the decoder took the frame.
    private func decode(_ record: Record, channels: [ChannelID], into output: inout DecodedFrame) -> Bool {
        output.removeAll()
        do {
            try venue.decode(
                record.message, context: record.decodeContext(exchange: venue.exchange, channels: channels),
                into: &output)
            return true
        } catch {
            return false
        }
    }
}
