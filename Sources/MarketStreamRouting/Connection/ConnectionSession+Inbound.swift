import CoreMetrics
import HashTreeCollections
import Logging
import MarketStreamCore
import Metrics
import Synchronization

/// The inbound side: every frame decoded and routed on the connection's read path, and the
/// control messages among them.
extension ConnectionSession {

    func receive(_ frame: WebSocketMessage) {
        var wakes = DeferredWakes()
        receive(frame, at: router.wallClock(), wakes: &wakes)
        wakes.wake()
    }

    func receive(contentsOf frames: [ReceivedFrame]) {
        var wakes = DeferredWakes()
        for frame in frames { receive(frame.message, at: frame.receivedAt, wakes: &wakes) }
        wakes.wake()
    }

    func receive(contentsOf frames: [WebSocketMessage]) {
        var wakes = DeferredWakes()
        let now = router.wallClock()
        for frame in frames { receive(frame, at: now, wakes: &wakes) }
        wakes.wake()
    }

    /// Decodes and routes one frame received at `receivedAt`; parked subscribers are noted in
    /// `wakes`, woken by the caller once its frames are routed.
    func receive(_ frame: WebSocketMessage, at receivedAt: UnixTime, wakes: inout DeferredWakes) {
        let standby = isStandby.load(ordering: .acquiring)
        guard standby || isCurrent else { return }
        if !standby {
            shard.sawActivity.store(true, ordering: .relaxed)
            shard.messagesReceived.add(1, ordering: .relaxed)
            runtime.messagesReceived.add(1, ordering: .relaxed)
            runtime.receivedCounter.increment()
            runtime.lastMessageAt.store(receivedAt.nanoseconds, ordering: .relaxed)
        }
        let context = DecodeContext(
            exchange: runtime.key.exchange, channel: runtime.key.channel, generation: generation,
            receivedAt: receivedAt, connection: number, shard: shard.index)
        inbound.withLock { state in
            guard state.role != .retired else { return }
            if forwardsFramesOnly, state.role == .active, forward(frame, context: context, state: &state) { return }
            state.frame.removeAll()
            do {
                try runtime.manager.decode(frame, context: context, into: &state.frame)
            } catch {
                if state.role == .active {
                    runtime.malformedFrames.add(1, ordering: .relaxed)
                    runtime.malformedCounter.increment()
                    // Recorded as received all the same: a replay meets it as the router did.
                    router.frameTap?.frameReceived(frame, events: [], context: context)
                }
                logger.debug("skipped a frame", metadata: ["error": "\(error)"])
                return
            }
            let events = state.frame.events
            let controls = state.frame.controls
            if state.role == .standby {
                for event in events { state.hold(event) }
                for control in controls { handleWhileStandby(control) }
                return
            }
            let routes = runtime.routes.value(reusing: &state.routeCache)
            if !events.isEmpty { noteData() }
            let map = runtime.shardMaps.value(reusing: &state.shardMapCache)
            if map.isSharded {
                // A market moved to another shard is delivered from there only: no event twice.
                for event in events
                where map.shard(of: event.market) == shard.index && (!state.keepsMarks || state.admit(event)) {
                    runtime.route(event, with: routes, logger: logger, wakes: &wakes)
                }
            } else if state.keepsMarks {
                for event in events where state.admit(event) {
                    runtime.route(event, with: routes, logger: logger, wakes: &wakes)
                }
            } else {
                for event in events { runtime.route(event, with: routes, logger: logger, wakes: &wakes) }
            }
            for control in controls { handle(control) }
            router.frameTap?.frameReceived(frame, events: events, context: context)
        }
    }

    private var forwardsFramesOnly: Bool { router.configuration.forwardsFramesOnly }

    /// Notes that the connection carried data: for the supervisor's silence checks, and for
    /// whether it ever delivered any. Decoded or forwarded frames alike.
    private func noteData() {
        shard.sawData.store(true, ordering: .relaxed)
        if !carriedData.load(ordering: .relaxed) { carriedData.store(true, ordering: .relaxed) }
    }

    /// Passes a data frame on to the tap without decoding it, when the router forwards frames
    /// only and the module can tell the frame's topic; keeps the topic's freshness as routing it
    /// would. Not while a rotation keeps marks or the channel is sharded: those need the events.
    /// - Returns: Whether the frame was passed on; `false` leaves it to be decoded.
    private func forward(_ frame: WebSocketMessage, context: DecodeContext, state: inout InboundState) -> Bool {
        guard !state.keepsMarks, !runtime.shardMaps.value(reusing: &state.shardMapCache).isSharded,
            let topic = runtime.manager.forwardedTopic(of: frame, exchange: runtime.key.exchange)
        else { return false }
        noteData()
        let routes = runtime.routes.value(reusing: &state.routeCache)
        routes.routes[topic]?.activity?.record(at: context.receivedAt.nanoseconds)
        router.frameTap?.frameForwarded(frame, topic: topic, context: context)
        return true
    }

    /// Whether the connection opened (its session ran).
    var wasEstablished: Bool { lifecycle.withLock { $0.establishedAt != nil } }

    /// A context for the tap: this connection, at `time`.
    func tapContext(at time: UnixTime) -> DecodeContext {
        DecodeContext(
            exchange: runtime.key.exchange, channel: runtime.key.channel, generation: generation, receivedAt: time,
            connection: number, shard: shard.index)
    }

    /// Shows the tap a message about to be sent on the active connection (before the send, so a
    /// recording never holds the answer to a message before the message).
    func tapSent(_ message: OutboundMessage) {
        guard let tap = router.frameTap, !isStandby.load(ordering: .relaxed) else { return }
        tap.messageSent(message, context: tapContext(at: router.wallClock()))
    }

    var shardIndex: Int { shard.index }

    func transportDropped(_ count: Int) {
        guard count > 0 else { return }
        runtime.transportDrops.add(count, ordering: .relaxed)
        runtime.transportDropCounter.increment(by: Int64(count))
    }

    func receivedPong() {
        guard !isStandby.load(ordering: .relaxed), isCurrent else { return }
        shard.sawActivity.store(true, ordering: .relaxed)
    }

    /// A replacement's control messages concern only itself until it takes over.
    func handleWhileStandby(_ control: ControlMessage) {
        switch control {
        case .status, .acknowledged, .resynchronizing:
            break
        case .subscriptionList(let topics):
            lifecycle.withLock { $0.reported = Set(topics) }
            shard.standbySignal.signal()
        case .exchangeError(let error):
            logger.info("exchange error on the replacement connection", metadata: ["error": "\(error)"])
            lifecycle.withLock { $0.exchangeError = error }
        }
    }

    func handle(_ control: ControlMessage) {
        switch control {
        case .status, .acknowledged:
            break
        case .subscriptionList(let topics):
            lifecycle.withLock { $0.reported = Set(topics) }
            wakeSignal.signal()
        case .exchangeError(let error):
            logger.info("exchange error", metadata: ["error": "\(error)"])
            lifecycle.withLock { $0.exchangeError = error }
            router.announceExchangeError(runtime, error: error, generation: generation)
        case .resynchronizing(let topic, let reason):
            logger.info("resynchronizing", metadata: ["topic": "\(topic)", "reason": "\(reason)"])
            router.announce(
                ConnectionEvent(
                    channel: runtime.key, generation: generation, kind: .resynchronizing(topic, reason: reason)),
                on: runtime)
        }
    }
}
