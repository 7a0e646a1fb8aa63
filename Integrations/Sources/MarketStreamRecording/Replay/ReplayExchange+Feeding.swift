import Logging
import MarketStreamCore
import MarketStreamRouting
import Synchronization

/// Replaying: handing the records to the router's connections, shard by shard, and moving the
/// router's clock to each record's time.
extension ReplayExchange {
    /// Hands the records to the router's connections, each to its shard's, until the recording is
    /// over; then ends every connection (the end, in band: every subscriber gets it after the last
    /// event).
    func feed() async throws {
        // The router opens its first connection when the strategy first subscribes, in its own
        // time: the recording's clock starts then.
        await connectionOpened.wait { self.state.withLock { !$0.served.isEmpty } }
        // A strategy's first subscriptions land before the clock moves: the router then plans and
        // asks for them together, as it did live, where its debounce ran on the wall clock, rather
        // than for whichever had come when the clock jumped.
        switch starts {
        case .whenTheRouterConnects: try await Task.sleep(for: Self.startupSettling)
        case .whenStarted:
            try await started.wait()
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
        let served = state.withLock { state in
            state.finished = true
            return state.served.sorted { $0.key < $1.key }.map(\.value)
        }
        ended.resolve(true)
        logger.info("replay finished")
        for connection in served { connection.end.yield(Self.endReason) }
    }

    /// The router's connection that takes the records of the recording's `shard`, and its shard:
    /// the same shard's, once the router has opened it (its clock moved meanwhile); shard 0's when
    /// the router opens none for it (its set is spread over fewer shards than was recorded), noted
    /// as a difference; `nil` when the router has no connection for either.
    func connection(for shard: Int) async throws -> (shard: Int, served: Served)? {
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
    func end(shard: Int, reason: String) async throws {
        guard let ended = state.withLock({ $0.served[shard] }) else { return }
        settleSent(on: shard)
        ended.end.yield(reason)
        _ = try await stepClock(for: .seconds(60)) {
            self.state.withLock { state in state.finished || state.served[shard].map { $0.id != ended.id } ?? false }
        }
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
    func takeFrames(into frames: inout [ReceivedFrame]) async throws {
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
                // Read in place: copying each entry whole would retain and release all it holds.
                let index = state.index
                guard state.chunk.entries[index].record.kind == .frame,
                    state.chunk.entries[index].record.shard == first.record.shard
                else { break }
                let receivedAt = state.chunk.entries[index].record.receivedAt
                if let deadline, .nanoseconds(receivedAt.nanoseconds - origin) >= deadline { break }
                state.index += 1
                frames.append(state.chunk.entries[index].received)
                state.handing.append(state.chunk.entries[index].decoded)
            }
        }
        if frames.count > 1, let last = frames.last { try await advance(to: last.receivedAt) }
    }

    /// The next record, without moving past it (waiting for the read-ahead when needed).
    func peek() async -> ReplayReadAhead.Entry? {
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
    func advanceCursor() {
        state.withLock { state in state.index = min(state.index + 1, state.chunk.entries.count) }
    }

    /// Moves the replay to `time`: the wall clock at once, the router's clock after the wait the
    /// speed asks for.
    func advance(to time: UnixTime) async throws {
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

    /// Moves the router's clock a millisecond at a time (its debounce, its backoff) until `done`
    /// holds or `limit` of its time has passed.
    /// - Returns: Whether `done` held.
    func stepClock(for limit: Duration, until done: () -> Bool) async throws -> Bool {
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
}
