import CoreMetrics
import Logging
import MarketStreamCore
import Metrics
import Synchronization

/// The router's side of one connection: restores and then keeps the upstream set in sync,
/// pings, watches for silence, and routes every decoded event to its subscribers.
final class ConnectionSession: ConnectionHandler {
    private struct Lifecycle: Sendable {
        var establishedAt: Duration?
        var end: SessionEnd?
        var exchangeError: MarketStreamError?
        /// The latest subscription list the exchange reported, not yet compared.
        var reported: Set<SubscriptionTopic>?
    }

    let router: MarketDataRouter
    let runtime: ChannelRuntime
    let generation: ConnectionGeneration
    let logger: Logger
    private let decoded = Mutex(DecodedFrame())
    /// Whether this connection delivered any market or account data.
    private let carriedData = Atomic<Bool>(false)
    private let lifecycle = Mutex(Lifecycle())

    init(router: MarketDataRouter, runtime: ChannelRuntime, generation: ConnectionGeneration, logger: Logger) {
        self.router = router
        self.runtime = runtime
        self.generation = generation
        var logger = logger
        logger[metadataKey: "generation"] = "\(generation)"
        self.logger = logger
    }

    /// Why the session ended, when the router ended it.
    var endReason: SessionEnd? { lifecycle.withLock { $0.end } }

    /// The last error frame the exchange sent on this connection.
    var exchangeError: MarketStreamError? { lifecycle.withLock { $0.exchangeError } }

    /// Whether this connection delivered any market or account data.
    var deliveredData: Bool { carriedData.load(ordering: .relaxed) }

    /// When the connection was established, on the router's clock.
    var establishedAt: Duration? { lifecycle.withLock { $0.establishedAt } }

    private var isCurrent: Bool { runtime.currentGeneration.load(ordering: .relaxed) == generation.rawValue }

    // MARK: - Outbound side

    func run(outbound: any WebSocketOutbound) async throws {
        lifecycle.withLock { $0.establishedAt = router.now() }
        runtime.sawActivity.store(true, ordering: .relaxed)
        let connectedAt = router.wallClock()
        runtime.machine.withLock { $0.connected(at: router.now()) }
        runtime.update { $0.connectedAt = connectedAt }
        logger.debug("connected")
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await self.synchronizeSubscriptions(outbound) }
                group.addTask { try await self.sendKeepalives(outbound) }
                group.addTask { try await self.watchForSilence() }
                group.addTask { try await self.measureRate() }
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
            let (desired, snapshots, expiry, needed) = router.state.withLock { state in
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
                    router.announceRestore(runtime, generation: generation)
                    recovery = endFallbackWhenStable(now: now)
                }
                router.wakeUpstreamWaiters(on: key)
                let audit: Duration? = auditMessage != nil && !sync.upstream.isEmpty ? nextAudit : nil
                let deadline = [until, expiry, audit, recovery].compactMap { $0 }.min()
                await runtime.signal.wait(until: deadline.map(router.instant(at:)), clock: router.clock)

            case .send(let request):
                let messages = try runtime.manager.messages(for: request)
                if messages.isEmpty && request.desired.isEmpty && !sync.upstream.isEmpty {
                    // The exchange cannot express "nothing": start over on a fresh connection.
                    throw SessionEnd.resetForEmptySet
                }
                for message in messages {
                    let now = router.now()
                    let permitted = sync.earliestPermitted(at: now)
                    if permitted > now { try await router.sleep(until: permitted) }
                    try await outbound.send(message)
                    sync.recordMessage(at: router.now())
                    runtime.upstreamMessages.add(1, ordering: .relaxed)
                    runtime.upstreamMessageCounter.increment()
                }
                sync.didApply(request)
                runtime.update { record in
                    record.pendingSnapshots.subtract(request.snapshots)
                    record.upstream = request.desired
                }
                runtime.upstreamTopicsGauge.record(request.desired.count)
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
        let (ended, next) = runtime.machine.withLock { machine in
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
            guard isCurrent else { return }
            silentChecks = runtime.sawActivity.exchange(false, ordering: .relaxed) ? 0 : silentChecks + 1
            datalessChecks = runtime.sawData.exchange(false, ordering: .relaxed) ? 0 : datalessChecks + 1
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
                let subscribed = !runtime.record.withLock { $0.upstream.isEmpty }
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
        var last = runtime.messagesReceived.load(ordering: .relaxed)
        while true {
            try await router.clock.sleep(for: .seconds(1))
            let count = runtime.messagesReceived.load(ordering: .relaxed)
            let rate = Double(count - last)
            last = count
            runtime.update { $0.messagesPerSecond = rate }
        }
    }

    // MARK: - Inbound side

    func receive(_ frame: WebSocketMessage) {
        guard isCurrent else { return }
        runtime.sawActivity.store(true, ordering: .relaxed)
        runtime.messagesReceived.add(1, ordering: .relaxed)
        runtime.receivedCounter.increment()
        let receivedAt = router.wallClock()
        runtime.lastMessageAt.store(receivedAt.nanoseconds, ordering: .relaxed)
        let context = DecodeContext(
            exchange: runtime.key.exchange, channel: runtime.key.channel, generation: generation,
            receivedAt: receivedAt)
        decoded.withLock { output in
            output.removeAll()
            do {
                try runtime.manager.decode(frame, context: context, into: &output)
            } catch {
                runtime.malformedFrames.add(1, ordering: .relaxed)
                runtime.malformedCounter.increment()
                logger.debug("skipped a frame", metadata: ["error": "\(error)"])
                return
            }
            let routes = runtime.routes.table
            if !output.events.isEmpty {
                runtime.sawData.store(true, ordering: .relaxed)
                if !carriedData.load(ordering: .relaxed) { carriedData.store(true, ordering: .relaxed) }
            }
            for event in output.events { runtime.route(event, with: routes, logger: logger) }
            for control in output.controls { handle(control) }
        }
    }

    func receivedPong() {
        guard isCurrent else { return }
        runtime.sawActivity.store(true, ordering: .relaxed)
    }

    private func handle(_ control: ControlMessage) {
        switch control {
        case .status, .acknowledged:
            break
        case .subscriptionList(let topics):
            lifecycle.withLock { $0.reported = Set(topics) }
            runtime.signal.signal()
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
