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
/// let summary = try await feed.play { events in server.publish(events) }
/// ```
///
/// Connection records are not played: the clients' own connections stay up when the recorded
/// one dropped (the events after a recorded reconnect simply follow).
public struct RecordedMarketFeed: Sendable {
    /// What a playback went through.
    public struct Summary: Sendable, Hashable {
        /// Frames decoded and events handed on.
        public var frames = 0
        public var events = 0
        /// Frames the decoder refused (a venue's malformed frame, recorded as received).
        public var undecodableFrames = 0
        /// Blocks that could not be read, each with its byte offset (the rest was played).
        public var issues: [RecordingError] = []
    }

    /// The recorded venue's module, whose decoder reads the frames.
    public let venue: any AbstractWebSocketManager
    /// The recordings, in time order.
    public let files: [String]
    /// How fast to play.
    public let speed: ReplaySpeed

    /// Checks that each file is a recording.
    /// - Throws: ``RecordingError/cannotOpen(path:reason:)`` or
    ///   ``RecordingError/notARecording(path:)``; ``RecordingError/invalidArgument(_:)`` for no
    ///   files or a speed that is not a positive finite factor.
    public init(venue: any AbstractWebSocketManager, files: [String], speed: ReplaySpeed) throws(RecordingError) {
        guard !files.isEmpty else { throw .invalidArgument("no recording files given") }
        if case .scaled(let factor) = speed, !(factor.isFinite && factor > 0) {
            throw .invalidArgument("a replay speed must be a positive factor, not \(factor)")
        }
        for path in files { _ = try RecordingReader(path: path) }
        self.venue = venue
        self.files = files
        self.speed = speed
    }

    /// Every market the recordings hold public events of, in order of first appearance (a pass
    /// over the files, decoding every frame).
    public func markets() throws(RecordingError) -> [MarketCode] {
        var seen: Set<MarketCode> = []
        var markets: [MarketCode] = []
        for path in files {
            let reader = try RecordingReader(path: path)
            for block in reader.blocks() {
                guard let records = try? reader.records(of: block) else { continue }
                for record in records {
                    for event in decode(record, channels: reader.header.channels) ?? []
                    where !seen.contains(event.market) {
                        seen.insert(event.market)
                        markets.append(event.market)
                    }
                }
            }
        }
        return markets
    }

    /// Decodes the recordings and hands each frame's public events to `publish`, waiting between
    /// frames as the speed asks; returns at the recording's end. Cancellation stops it.
    public func play(into publish: ([MarketEvent]) -> Void) async throws -> Summary {
        var summary = Summary()
        let clock = ContinuousClock()
        let start = clock.now
        var origin: Int64?
        var batch: [MarketEvent] = []
        for path in files {
            let reader = try RecordingReader(path: path)
            for block in reader.blocks() {
                try Task.checkCancellation()
                let records: [Record]
                do {
                    records = try reader.records(of: block)
                } catch {
                    summary.issues.append(error)
                    continue
                }
                for record in records where record.kind == .frame {
                    let first = origin ?? record.receivedAt.nanoseconds
                    origin = first
                    if let wait = delay(of: record.receivedAt.nanoseconds - first) {
                        // Hand on what is due before waiting for what is not.
                        let deadline = start + wait
                        if deadline > clock.now + .milliseconds(1) {
                            if !batch.isEmpty { publish(batch) }
                            batch.removeAll(keepingCapacity: true)
                            try await clock.sleep(until: deadline)
                        }
                    }
                    summary.frames += 1
                    guard let events = decode(record, channels: reader.header.channels) else {
                        summary.undecodableFrames += 1
                        continue
                    }
                    let shown = events.filter { !$0.kind.isPrivate }
                    summary.events += shown.count
                    batch += shown
                }
                // As fast as possible: a block at a time, letting others run in between.
                if !batch.isEmpty { publish(batch) }
                batch.removeAll(keepingCapacity: true)
                await Task.yield()
            }
        }
        return summary
    }

    /// How long after the start a record `elapsed` nanoseconds into the recording is due; `nil`
    /// as fast as possible.
    private func delay(of elapsed: Int64) -> Duration? {
        switch speed {
        case .original: .nanoseconds(elapsed)
        case .scaled(let factor): .nanoseconds(Int64(Double(elapsed) / factor))
        case .asFastAsPossible: nil
        }
    }

    /// A frame record's events; `nil` when the decoder refuses the frame.
    private func decode(_ record: Record, channels: [String]) -> [MarketEvent]? {
        guard record.kind == .frame else { return [] }
        var output = DecodedFrame()
        do {
            try venue.decode(record.message, context: context(of: record, channels: channels), into: &output)
        } catch {
            return nil
        }
        return output.events
    }

    private func context(of record: Record, channels: [String]) -> DecodeContext {
        let channel =
            Int(record.channel) < channels.count ? ChannelID(rawValue: channels[Int(record.channel)]) : .public
        return DecodeContext(
            exchange: venue.exchange, channel: channel, generation: ConnectionGeneration(UInt64(record.generation)),
            receivedAt: record.receivedAt)
    }
}
