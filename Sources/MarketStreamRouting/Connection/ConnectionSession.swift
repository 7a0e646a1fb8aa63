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
    struct Lifecycle: Sendable {
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
    let outgoing: ConnectionSession?
    /// How long a restored replacement watches which topics flow before it may take over.
    let overlapWindow: Duration
    let inbound: Mutex<InboundState>
    /// Mirrors whether ``inbound`` is a standby's, for the read path's lock-free first check.
    let isStandby: Atomic<Bool>
    /// Whether this connection delivered any market or account data.
    let carriedData = Atomic<Bool>(false)
    let lifecycle = Mutex(Lifecycle())
    /// Signalled when a replacement has taken over from this connection.
    let retirement = WakeSignal()
    /// Signalled when this replacement has taken over (or given up).
    let takeover = WakeSignal()
    /// Set by whichever path takes over first (the overlap, or the outgoing connection's close).
    let takingOver = Atomic<Bool>(false)

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

    var isCurrent: Bool { shard.activeConnection.load(ordering: .relaxed) == number }

    /// The signal that wakes this session's upstream sync.
    var wakeSignal: WakeSignal {
        isStandby.load(ordering: .relaxed) ? shard.standbySignal : shard.signal
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
            let map = runtime.shardMaps.value
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
}
