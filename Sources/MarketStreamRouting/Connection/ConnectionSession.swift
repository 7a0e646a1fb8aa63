import CoreMetrics
import Logging
import MarketStreamCore
import Metrics
import Synchronization

/// The router's side of one connection: restores and then keeps the upstream set in sync,
/// pings, watches for silence, and routes every decoded event to its subscribers.
///
/// During a planned rotation (``ExchangeChannel/connectionLifetime``) two sessions of a channel
/// run at once: the outgoing one still delivers while its replacement (`standby`) restores the
/// set and holds what it decodes; once the replacement has overlapped every flowing topic it
/// takes over (``InboundState``) and the outgoing one closes.
final class ConnectionSession: ConnectionHandler {
    private struct Lifecycle: Sendable {
        var establishedAt: Duration?
        var establishedWallTime: UnixTime?
        var end: SessionEnd?
        var exchangeError: MarketStreamError?
        /// The latest subscription list the exchange reported, not yet compared.
        var reported: Set<SubscriptionTopic>?
        /// For a replacement: when, restored, it started watching which topics flow.
        var handoverStartedAt: Duration?
    }

    let router: MarketDataRouter
    let runtime: ChannelRuntime
    /// The part of the channel this connection carries.
    let shard: ChannelShard
    /// This connection's number (``DecodeContext/connection``).
    let number: UInt64
    let logger: Logger
    /// The connection this one replaces, while it is a planned rotation's replacement.
    private let outgoing: ConnectionSession?
    /// How long a restored replacement watches which topics flow before it may take over.
    private let overlapWindow: Duration
    private let inbound: Mutex<InboundState>
    /// Mirrors whether ``inbound`` is a standby's, for the read path's lock-free first check.
    private let isStandby: Atomic<Bool>
    /// Whether this connection delivered any market or account data.
    private let carriedData = Atomic<Bool>(false)
    private let lifecycle = Mutex(Lifecycle())
    /// Signalled when a replacement has taken over from this connection.
    private let retirement = WakeSignal()
    /// Signalled when this replacement has taken over (or given up).
    let takeover = WakeSignal()
    /// Set by whichever path takes over first (the overlap, or the outgoing connection's close).
    private let takingOver = Atomic<Bool>(false)

    /// Creates the session of a new connection.
    /// - Parameters:
    ///   - outgoing: The connection this one replaces in a planned rotation, if it does.
    ///   - overlapWindow: For a replacement, how long it watches which topics flow, once
    ///     restored, before it may take over.
    init(
        router: MarketDataRouter, runtime: ChannelRuntime, shard: ChannelShard, number: UInt64,
        replacing outgoing: ConnectionSession? = nil, overlapWindow: Duration = .zero, logger: Logger
    ) {
        self.overlapWindow = overlapWindow
        self.router = router
        self.runtime = runtime
        self.shard = shard
        self.number = number
        self.outgoing = outgoing
        inbound = Mutex(
            InboundState(
                role: outgoing == nil ? .active : .standby, keepsMarks: runtime.descriptor.connectionLifetime != nil))
        isStandby = Atomic(outgoing != nil)
        var logger = logger
        logger[metadataKey: "generation"] = "\(runtime.generation)"
        if shard.index > 0 { logger[metadataKey: "shard"] = "\(shard.index)" }
        logger[metadataKey: "connection"] = "\(number)"
        self.logger = logger
    }

    /// The channel's current generation, which this connection's events carry: it advances when
    /// any of the channel's connections is replaced, so events from before never reach anyone.
    var generation: ConnectionGeneration { runtime.generation }

    /// Why the session ended, when the router ended it.
    var endReason: SessionEnd? { lifecycle.withLock { $0.end } }

    /// The last error frame the exchange sent on this connection.
    var exchangeError: MarketStreamError? { lifecycle.withLock { $0.exchangeError } }

    /// Whether this connection delivered any market or account data.
    var deliveredData: Bool { carriedData.load(ordering: .relaxed) }

    /// When the connection was established, on the router's clock.
    var establishedAt: Duration? { lifecycle.withLock { $0.establishedAt } }

    /// Whether this replacement has taken over.
    var tookOver: Bool { outgoing != nil && !isStandby.load(ordering: .acquiring) }

    private var isCurrent: Bool { shard.activeConnection.load(ordering: .relaxed) == number }

    /// The signal that wakes this session's upstream sync.
    private var wakeSignal: WakeSignal {
        isStandby.load(ordering: .relaxed) ? shard.standbySignal : shard.signal
    }

    // MARK: - Rotation

    /// Starts noting which topics flow, for a replacement that has been restored.
    private func beginHandover() {
        inbound.withLock { $0.beginHandover() }
    }

    /// Stops delivering and closes once a replacement has taken over; returns the marks it inherits.
    private func retire() -> [SubscriptionTopic: Int64] {
        let marks = inbound.withLock { $0.retire() }
        retirement.signal()
        return marks
    }

    /// Takes over from `outgoing`: it stops delivering, this connection's held events ordered
    /// after its last delivered ones are routed, and this connection is the channel's from now on.
    private func takeOver(from outgoing: ConnectionSession, topicsWithoutOverlap: [SubscriptionTopic]) {
        guard takingOver.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged
        else { return }
        let inherited = outgoing.retire()
        shard.activeConnection.store(number, ordering: .releasing)
        let (wallTime, established) = lifecycle.withLock { ($0.establishedWallTime, $0.establishedAt) }
        shard.link.withLock { $0.connectedAt = wallTime }
        if let established { shard.machine.withLock { $0.connected(at: established) } }
        var wakes = DeferredWakes()
        inbound.withLock { state in
            let events = state.promote(inheriting: inherited)
            isStandby.store(false, ordering: .releasing)
            let routes = runtime.routes.table
            for event in events { runtime.route(event, with: routes, logger: logger, wakes: &wakes) }
        }
        wakes.wake()
        runtime.rotations.add(1, ordering: .relaxed)
        if !topicsWithoutOverlap.isEmpty {
            runtime.rotationsWithoutOverlap.add(1, ordering: .relaxed)
            logger.warning(
                "rotated before every topic overlapped",
                metadata: [
                    "count": "\(topicsWithoutOverlap.count)",
                    "topics": "\(topicsWithoutOverlap.prefix(5).map(\.description).joined(separator: " "))",
                ])
        } else {
            logger.debug("rotated")
        }
        takeover.signal()
    }

    /// For a restored replacement: watches for the overlap window which topics flow on the
    /// outgoing connection, then takes over once each of them has overlapped (its events are on
    /// both connections), or when it holds all it may. The window makes a topic that flows count
    /// even if none of its events arrived yet: taking over on an empty set would lose what the
    /// venue sent before this connection's subscriptions took effect.
    /// - Returns: When to check again, while it has not taken over.
    private func takeOverWhenOverlapped(now: Duration) -> Duration? {
        guard let outgoing, isStandby.load(ordering: .relaxed) else { return nil }
        let startedAt = lifecycle.withLock { state -> Duration? in
            defer { if state.handoverStartedAt == nil { state.handoverStartedAt = now } }
            return state.handoverStartedAt
        }
        guard let startedAt else {
            outgoing.beginHandover()
            return now + max(overlapWindow, .milliseconds(1))
        }
        let marks = outgoing.inbound.withLock { $0.handoverMarks }
        let (missing, full) = inbound.withLock { ($0.topicsWithoutOverlap(marks), $0.isHoldingLimit) }
        guard (now >= startedAt + overlapWindow && missing.isEmpty) || full else {
            return now + .milliseconds(20)
        }
        takeOver(from: outgoing, topicsWithoutOverlap: missing)
        return nil
    }

    /// For a replacement whose outgoing connection has closed: takes over at once if it has been
    /// restored (whatever has not overlapped yet counts as a rotation without overlap).
    /// - Returns: Whether it took over.
    func takeOverNow() -> Bool {
        guard let outgoing, isStandby.load(ordering: .acquiring),
            lifecycle.withLock({ $0.handoverStartedAt != nil })
        else { return false }
        let marks = outgoing.inbound.withLock { $0.handoverMarks }
        let missing = inbound.withLock { $0.topicsWithoutOverlap(marks) }
        takeOver(from: outgoing, topicsWithoutOverlap: missing)
        return true
    }

    func run(outbound: any WebSocketOutbound) async throws {
        let connectedAt = router.wallClock()
        let establishedAt = router.now()
        lifecycle.withLock {
            $0.establishedAt = establishedAt
            $0.establishedWallTime = connectedAt
        }
        if outgoing == nil {
            shard.sawActivity.store(true, ordering: .relaxed)
            shard.machine.withLock { $0.connected(at: establishedAt) }
            shard.link.withLock { $0.connectedAt = connectedAt }
        }
        logger.debug(outgoing == nil ? "connected" : "replacement connected")
        if outgoing == nil { router.frameTap?.connectionOpened(context: tapContext(at: connectedAt)) }
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await self.synchronizeSubscriptions(outbound) }
                group.addTask { try await self.sendKeepalives(outbound) }
                group.addTask { try await self.watchForSilence() }
                group.addTask { try await self.measureRate() }
                group.addTask {
                    await self.retirement.wait()
                    try Task.checkCancellation()
                    throw SessionEnd.rotated
                }
                try await group.next()
                group.cancelAll()
            }
        } catch let end as SessionEnd {
            lifecycle.withLock { $0.end = end }
            throw end
        }
    }

    /// Restores the full desired set, then sends one batched request per change window.
    private func synchronizeSubscriptions(_ outbound: any WebSocketOutbound) async throws {
        let key = runtime.key
        let staysWarm = runtime.descriptor.staysWarm && router.configuration.keepsChannelsWarm
        let margin = router.configuration.rateLimitMargin
        var sync = UpstreamSync(
            channel: key.channel, debounce: router.configuration.debounce,
            messageLimits: runtime.descriptor.messageLimits.map { RateLimit($0.count, per: $0.interval + margin) })
        let auditInterval = router.configuration.subscriptionAuditInterval
        let auditMessage = auditInterval == nil ? nil : runtime.manager.auditMessage(for: key.channel)
        var nextAudit = router.now() + (auditInterval ?? .zero)
        /// The request sequence when the last audit went out; a report only counts if nothing was sent since.
        var auditedSequence: Int?
        while true {
            try Task.checkCancellation()
            let now = router.now()
            let (channelDesired, channelSnapshots, expiry, channelNeeded) = router.state.withLock { state in
                // This channel's lingering topics are expired by this channel, and only those.
                if state.expireLingering(on: key, now: now) {
                    runtime.routes.publish(state.routeTable(for: key))
                }
                return (
                    state.table.desired(for: key), runtime.record.withLock { $0.pendingSnapshots },
                    state.table.nextExpiry(for: key),
                    state.needsConnection(key, staysWarm: staysWarm, snapshotsPending: runtime.snapshotsPending)
                )
            }
            // This connection's part of the channel's set (all of it, unless the venue shards).
            let desired = runtime.plannedTopics(channelDesired, on: shard.index)
            let map = runtime.shardMap
            let snapshots =
                map.isSharded ? channelSnapshots.filter { map.shard(of: $0.market) == shard.index } : channelSnapshots
            let needed = channelNeeded && (shard.index == 0 || !desired.isEmpty)
            guard needed else { throw SessionEnd.notNeeded }

            if let reported = lifecycle.withLock({ state in
                defer { state.reported = nil }
                return state.reported
            }), auditedSequence == sync.sequence {
                auditedSequence = nil
                if reported != runtime.manager.expectedSubscriptionList(for: sync.upstream, on: key.channel) {
                    // The exchange silently dropped (or added) subscriptions: resend.
                    runtime.driftRepairs.add(1, ordering: .relaxed)
                    logger.info(
                        "subscription drift",
                        metadata: ["expected": "\(sync.upstream.count)", "reported": "\(reported.count)"])
                    sync.assumeUpstream(reported)
                }
            }
            if let auditMessage, let auditInterval, now >= nextAudit, !sync.upstream.isEmpty,
                sync.earliestPermitted(at: now) <= now
            {
                tapSent(auditMessage)
                try await outbound.send(auditMessage)
                sync.recordMessage(at: now)
                runtime.upstreamMessages.add(1, ordering: .relaxed)
                auditedSequence = sync.sequence
                nextAudit = now + auditInterval
            }

            switch sync.nextStep(now: now, desired: desired, snapshots: snapshots) {
            case .wait(let until):
                var recovery: Duration?
                if until == nil {
                    // A replacement restored: it takes over once it overlaps the outgoing connection.
                    recovery = takeOverWhenOverlapped(now: now)
                    if !isStandby.load(ordering: .relaxed) {
                        // Restored once the channel's whole set is up again (on a sharded channel,
                        // on every connection: whichever finishes last tells).
                        if runtime.upstream == channelDesired {
                            router.announceRestore(runtime, generation: generation)
                        }
                        recovery = endFallbackWhenStable(now: now)
                    }
                }
                router.wakeUpstreamWaiters(on: key)
                let audit: Duration? = auditMessage != nil && !sync.upstream.isEmpty ? nextAudit : nil
                let deadline = [until, expiry, audit, recovery].compactMap { $0 }.min()
                await wakeSignal.wait(until: deadline.map(router.instant(at:)), clock: router.clock)

            case .send(let request):
                runtime.place(request.desired)
                let messages = try runtime.manager.messages(for: request)
                if messages.isEmpty && request.desired.isEmpty && !sync.upstream.isEmpty {
                    // The exchange cannot express "nothing": start over on a fresh connection.
                    throw SessionEnd.resetForEmptySet
                }
                for message in messages {
                    let now = router.now()
                    let permitted = sync.earliestPermitted(at: now)
                    if permitted > now { try await router.sleep(until: permitted) }
                    tapSent(message)
                    try await outbound.send(message)
                    sync.recordMessage(at: router.now())
                    runtime.upstreamMessages.add(1, ordering: .relaxed)
                    runtime.upstreamMessageCounter.increment()
                }
                sync.didApply(request)
                runtime.update { $0.pendingSnapshots.subtract(request.snapshots) }
                shard.link.withLock { $0.upstream = request.desired }
                runtime.upstreamTopicsGauge.record(runtime.upstream.count)
                router.wakeUpstreamWaiters(on: key)
                logger.debug(
                    "upstream request",
                    metadata: [
                        "topics": "\(request.desired.count)", "added": "\(request.added.count)",
                        "removed": "\(request.removed.count)", "snapshots": "\(request.snapshots.count)",
                        "messages": "\(messages.count)",
                    ])
            }
        }
    }

    /// Ends REST polling once the restored stream has stayed up for the policy's recovery period.
    /// - Returns: When to check again, while polling and not yet stable.
    private func endFallbackWhenStable(now: Duration) -> Duration? {
        // A connection whose credentials the exchange rejected is about to be closed: not a recovery.
        if exchangeError?.code == .authenticationUnavailable { return nil }
        let (ended, next) = shard.machine.withLock { machine in
            (machine.streamStayedUp(at: now), machine.pollingEndsAt)
        }
        if ended { router.endFallback(runtime, logger: logger) }
        return ended ? nil : next
    }

    private func sendKeepalives(_ outbound: any WebSocketOutbound) async throws {
        while true {
            try await router.clock.sleep(for: runtime.descriptor.keepaliveInterval)
            try await outbound.sendPing()
        }
    }

    /// Ends the connection when a whole tolerance window passes without a frame or pong, or without
    /// any data frame while subscribed keys that used to flow have gone stale: pongs prove the
    /// socket is alive, not that its subscriptions are (a frozen feed can answer pings). A key
    /// that was always quiet is never stale, so quiet markets are not reconnected for — except on a
    /// channel whose subscriptions bring snapshots (Upbit's public one), where the whole channel
    /// silent for the tolerance is replaced: the new connection's snapshots cost little. Checked
    /// every quarter of the tolerance, so a stall is acted on within 1¼ tolerances.
    private func watchForSilence() async throws {
        let tolerance = runtime.descriptor.silenceTolerance
        let checks = 4
        var silentChecks = 0
        var datalessChecks = 0
        while true {
            try await router.clock.sleep(for: tolerance / checks)
            // A replacement is watched once it has taken over.
            if isStandby.load(ordering: .relaxed) { continue }
            guard isCurrent else { return }
            silentChecks = shard.sawActivity.exchange(false, ordering: .relaxed) ? 0 : silentChecks + 1
            datalessChecks = shard.sawData.exchange(false, ordering: .relaxed) ? 0 : datalessChecks + 1
            if silentChecks >= checks {
                logger.info("connection silent; replacing it")
                throw SessionEnd.stalled
            }
            if datalessChecks >= checks {
                let now = router.wallClock().nanoseconds
                let stale = router.state.withLock {
                    $0.staleTopics(on: runtime.key, now: now, policy: router.configuration.freshness)
                }
                // Where subscribing brings snapshots, a whole tolerance without data while subscribed
                // is replaced: a fresh connection either shows the feed alive (its snapshots) or not.
                let subscribed = !shard.upstream.isEmpty
                if runtime.descriptor.subscribingBringsData && subscribed {
                    logger.info("no data while pings are answered; replacing the connection")
                    throw SessionEnd.dataStopped(staleTopics: stale.count)
                }
                if !stale.isEmpty {
                    logger.info(
                        "no data while pings are answered; replacing the connection",
                        metadata: ["stale": "\(stale.count)"])
                    throw SessionEnd.dataStopped(staleTopics: stale.count)
                }
            }
        }
    }

    private func measureRate() async throws {
        var last = shard.messagesReceived.load(ordering: .relaxed)
        while true {
            try await router.clock.sleep(for: .seconds(1))
            if isStandby.load(ordering: .relaxed) { continue }
            let count = shard.messagesReceived.load(ordering: .relaxed)
            let rate = Double(count - last)
            last = count
            shard.link.withLock { $0.messagesPerSecond = rate }
        }
    }

    // MARK: - Inbound side

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
    private func receive(_ frame: WebSocketMessage, at receivedAt: UnixTime, wakes: inout DeferredWakes) {
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
            let routes = runtime.routes.table
            if !events.isEmpty {
                shard.sawData.store(true, ordering: .relaxed)
                if !carriedData.load(ordering: .relaxed) { carriedData.store(true, ordering: .relaxed) }
            }
            let map = runtime.shardMap
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
    private func tapSent(_ message: OutboundMessage) {
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
    private func handleWhileStandby(_ control: ControlMessage) {
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

    private func handle(_ control: ControlMessage) {
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
