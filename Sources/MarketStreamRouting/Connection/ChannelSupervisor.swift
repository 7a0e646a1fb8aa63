import CoreMetrics
import Logging
import MarketStreamCore
import Metrics
import Synchronization

/// Why a connection ended, as the supervisor sees it.
enum SessionEnd: Error, Sendable {
    /// Nobody needs the channel any more; close without backoff.
    case notNeeded
    /// The set became empty on an exchange that cannot express that; reconnect at once.
    case resetForEmptySet
    /// The connection went silent past the channel's tolerance.
    case stalled
    /// Pings were answered but no data arrived for the tolerance while subscribed keys went stale.
    case dataStopped(staleTopics: Int)
    /// A planned rotation's replacement took over: this connection closes.
    case rotated
}

extension MarketDataRouter {
    /// Keeps one channel connected while it is needed: connect, restore, stream, and on failure
    /// reconnect with jittered exponential backoff, serving the channel by REST polling meanwhile
    /// when the exchange module offers it. Returns when the task is cancelled.
    func supervise(_ runtime: ChannelRuntime) async {
        var channelLogger = self.logger
        channelLogger[metadataKey: "exchange"] = "\(runtime.key.exchange)"
        channelLogger[metadataKey: "channel"] = "\(runtime.key.channel)"
        let logger = channelLogger
        await withDiscardingTaskGroup { group in
            if runtime.hasFallback, let provider = runtime.manager as? any RESTFallbackProvider {
                group.addTask { await self.runFallback(runtime, provider: provider, logger: logger) }
            }
            group.addTask {
                await self.superviseConnection(runtime, shard: runtime.primary, logger: logger)
                runtime.supervisionEnded.store(true, ordering: .releasing)
                runtime.shardsOpened.signal()
            }
            // Shards the plan opens are supervised from then on, each on its own.
            var running = 1
            while !Task.isCancelled && !runtime.supervisionEnded.load(ordering: .acquiring) {
                let shards = runtime.shards
                for shard in shards.dropFirst(running) {
                    var shardLogger = logger
                    shardLogger[metadataKey: "shard"] = "\(shard.index)"
                    group.addTask { [shardLogger] in
                        await self.superviseConnection(runtime, shard: shard, logger: shardLogger)
                    }
                }
                running = shards.count
                await runtime.shardsOpened.wait()
            }
            group.cancelAll()
        }
    }

    /// Drives one shard's ``ChannelStateMachine``: performs each action it answers and tells it
    /// what came of it.
    private func superviseConnection(_ runtime: ChannelRuntime, shard: ChannelShard, logger: Logger) async {
        let key = runtime.key
        let staysWarm =
            runtime.descriptor.staysWarm && configuration.keepsChannelsWarm
            && runtime.manager.unavailability(of: key.channel) == nil && shard.index == 0
        let isNeeded = {
            let (needed, desired) = self.state.withLock { state -> (Bool, Set<SubscriptionTopic>?) in
                let needed = state.needsConnection(
                    key, staysWarm: staysWarm, snapshotsPending: runtime.snapshotsPending)
                return (needed, needed && shard.index > 0 ? state.table.desired(for: key) : nil)
            }
            // Shard 0 serves snapshots and a warm channel; the others, only the markets planned on them.
            guard needed, let desired else { return needed }
            return !runtime.plannedTopics(desired, on: shard.index).isEmpty
        }
        var action = ChannelStateMachine.Action.waitForDemand
        var lastGeneration = ConnectionGeneration.none
        var reason = MarketStreamError(.connectionClosed, "closed by the exchange", exchange: key.exchange)
        while !Task.isCancelled {
            switch action {
            case .stop:
                return

            case .waitForDemand:
                while !Task.isCancelled && !isNeeded() { await shard.signal.wait() }
                if Task.isCancelled { return }
                action = shard.machine.withLock { $0.demand(isNeeded: true) }

            case .connect(let attempt):
                await waitForConnectPermit(key.exchange)
                if Task.isCancelled { return }
                let (generation, number) = beginConnection(runtime, shard: shard, attempt: attempt)
                lastGeneration = generation
                let first = ConnectionSession(
                    router: self, runtime: runtime, shard: shard, number: number,
                    logger: logger)
                logger.debug("connecting", metadata: ["generation": "\(generation)", "attempt": "\(attempt)"])
                // Runs the connection, and its planned replacements where the venue limits a lifetime.
                let (session, failure) = await runConnection(first, on: runtime, shard: shard, logger: logger)
                shard.link.withLock { link in
                    link.connectedAt = nil
                    link.upstream = []
                    // Nothing arrives while disconnected: the rate says so at once.
                    link.messagesPerSecond = 0
                }
                runtime.upstreamTopicsGauge.record(runtime.upstream.count)
                wakeUpstreamWaiters(on: key)
                if Task.isCancelled { return }
                let end = session.endReason
                let cause = failure ?? session.exchangeError
                reason = describe(
                    end: end, error: cause, tolerance: runtime.descriptor.silenceTolerance, exchange: key.exchange)
                if session.wasEstablished {
                    frameTap?.connectionClosed(reason: reason.description, context: session.tapContext(at: wallClock()))
                }
                let ending: ChannelStateMachine.Ending =
                    switch end {
                    case .notNeeded?: .notNeeded
                    case .resetForEmptySet?: .resetForEmptySet
                    case .stalled?, .dataStopped?: .stalled
                    case .rotated?, nil:
                        .failed(
                            rejectedCredentials: (session.exchangeError ?? failure as? MarketStreamError)?.code
                                == .authenticationUnavailable)
                    }
                let now = now()
                let sample = jitterSample()
                let deliveredData = session.deliveredData || session !== first
                action = shard.machine.withLock {
                    $0.ended(ending, at: now, jitterSample: sample, deliveredData: deliveredData)
                }

            case .backOff(let attempt, let delay, let startsFallback):
                if startsFallback { startFallback(runtime, reason: reason.description, logger: logger) }
                logger.info(
                    "connection lost; reconnecting",
                    metadata: ["reason": "\(reason)", "attempt": "\(attempt)", "delay": "\(delay)"])
                runtime.reconnectCounter.increment()
                announceOutage(runtime, attempt: attempt, delay: delay, reason: reason, generation: lastGeneration)
                try? await clock.sleep(for: delay)
                if Task.isCancelled { return }
                let needed = isNeeded()
                action = shard.machine.withLock { $0.demand(isNeeded: needed) }
            }
        }
    }

    /// Why a connection ended, as the typed error subscribers and health are told.
    private func describe(end: SessionEnd?, error: (any Error)?, tolerance: Duration, exchange: ExchangeID)
        -> MarketStreamError
    {
        switch end {
        case .stalled?:
            return MarketStreamError(
                .connectionStalled, "stalled: no frame or pong for more than \(tolerance)", exchange: exchange)
        case .dataStopped(let stale)?:
            let which = stale > 0 ? "\(stale) subscribed key(s) stale" : "on any subscribed key"
            return MarketStreamError(
                .connectionStalled, "stalled: pings answered but no data for more than \(tolerance), \(which)",
                exchange: exchange)
        case .notNeeded?, .resetForEmptySet?, .rotated?, nil:
            break
        }
        if let error = error as? MarketStreamError { return error }
        if let error { return MarketStreamError(.connectionClosed, String(describing: error), exchange: exchange) }
        return MarketStreamError(.connectionClosed, "closed by the exchange", exchange: exchange)
    }

    func waitForConnectPermit(_ exchange: ExchangeID) async {
        while !Task.isCancelled {
            let now = now()
            let permitted = state.withLock { state -> Duration in
                let earliest = state.connectLimiters[exchange]?.earliestPermitted(at: now) ?? now
                if earliest <= now { state.connectLimiters[exchange]?.record(at: now) }
                return earliest
            }
            if permitted <= now { return }
            try? await sleep(until: permitted)
        }
    }

    private func beginConnection(_ runtime: ChannelRuntime, shard: ChannelShard, attempt: Int)
        -> (ConnectionGeneration, UInt64)
    {
        let number = runtime.nextConnectionNumber()
        // A shard's first connection (past shard 0) joins the channel's generation: nothing of
        // its can be stale, and the other shards' buffered events stay deliverable.
        let joins =
            shard.index > 0 && shard.activeConnection.load(ordering: .acquiring) == 0 && runtime.generation != .none
        let (generation, buffers) = state.withLock { state -> (ConnectionGeneration, [SubscriberBuffer]) in
            shard.activeConnection.store(number, ordering: .releasing)
            if joins { return (runtime.generation, []) }
            let generation = runtime.generation.next
            runtime.currentGeneration.store(generation.rawValue, ordering: .releasing)
            return (generation, state.buffers(on: runtime.key))
        }
        // Events still buffered from the previous connection must never be delivered.
        for buffer in buffers { buffer.advanceGeneration(to: generation) }
        return (generation, number)
    }

    private func announceOutage(
        _ runtime: ChannelRuntime, attempt: Int, delay: Duration, reason: MarketStreamError,
        generation: ConnectionGeneration
    ) {
        runtime.update { record in
            record.reconnects += 1
            record.lastError = reason.description
            record.outageAnnounced = true
        }
        let buffers = state.withLock { $0.announcementTargets(on: runtime.key) }
        let event = FeedEvent.connection(
            ConnectionEvent(
                channel: runtime.key, generation: generation,
                kind: .reconnecting(attempt: attempt, delay: delay, reason: reason)))
        for buffer in buffers { buffer.deliver(event) }
    }

    /// Tells subscribers that a connection is up again with the full set restored.
    func announceRestore(_ runtime: ChannelRuntime, generation: ConnectionGeneration) {
        let announced = runtime.record.withLock { record in
            defer { record.outageAnnounced = false }
            return record.outageAnnounced
        }
        guard announced else { return }
        let buffers = state.withLock { $0.announcementTargets(on: runtime.key) }
        let event = FeedEvent.connection(ConnectionEvent(channel: runtime.key, generation: generation, kind: .restored))
        for buffer in buffers { buffer.deliver(event) }
    }

    /// Delivers `event` to every subscriber of the channel.
    func announce(_ event: ConnectionEvent, on runtime: ChannelRuntime) {
        let buffers = state.withLock { $0.announcementTargets(on: runtime.key) }
        for buffer in buffers { buffer.deliver(FeedEvent.connection(event)) }
    }

    /// Tells a channel's subscribers about an exchange error frame.
    func announceExchangeError(_ runtime: ChannelRuntime, error: MarketStreamError, generation: ConnectionGeneration) {
        runtime.update { $0.lastError = error.description }
        let buffers = state.withLock { $0.announcementTargets(on: runtime.key) }
        let event = FeedEvent.connection(
            ConnectionEvent(channel: runtime.key, generation: generation, kind: .exchangeError(error)))
        for buffer in buffers { buffer.deliver(event) }
    }
}
