import CoreMetrics
import Logging
import MarketStreamCore
import Metrics
import Synchronization

extension MarketDataRouter {
    /// Subscribes to `kind` for `markets`, sharing the upstream subscription with everyone else.
    ///
    /// The subscription lasts until it is dropped, cancelled, or its task is cancelled.
    /// - Parameters:
    ///   - kind: The data kind.
    ///   - markets: The markets (ignored for account-wide kinds such as `myAsset`; empty for
    ///     `myOrder` means every market).
    ///   - exchange: The exchange; may be omitted when the router routes exactly one.
    ///   - policy: The delivery policy; defaults to ``DeliveryPolicy/default(for:)``.
    /// - Returns: The event stream.
    /// - Throws: `MarketStreamError`: `.unknownExchange`, `.unsupportedDataKind`,
    ///   `.authenticationUnavailable`, `.invalidArgument` (no markets, or on a router that
    ///   forwards frames only a policy other than connection events) or `.routerShutDown`.
    public func subscribe(
        to kind: DataKind, markets: [MarketCode], on exchange: ExchangeID? = nil, policy: DeliveryPolicy? = nil
    ) throws(MarketStreamError) -> Subscription {
        try subscribe(to: kind, markets: markets, on: exchange, policy: policy, clientID: nil)
    }

    /// Subscribes, runs `body` with the stream, and releases the subscription when `body` returns
    /// or throws, or the task is cancelled.
    /// - Parameters:
    ///   - kind: The data kind.
    ///   - markets: The markets.
    ///   - exchange: The exchange; may be omitted when the router routes exactly one.
    ///   - policy: The delivery policy.
    ///   - body: Consumes the stream.
    /// - Returns: What `body` returns.
    /// - Throws: What ``subscribe(to:markets:on:policy:)`` or `body` throws.
    public func withSubscription<Value: Sendable>(
        to kind: DataKind, markets: [MarketCode], on exchange: ExchangeID? = nil, policy: DeliveryPolicy? = nil,
        _ body: (Subscription) async throws -> Value
    ) async throws -> Value {
        let subscription = try subscribe(to: kind, markets: markets, on: exchange, policy: policy)
        defer { subscription.cancel() }
        return try await body(subscription)
    }

    /// Opens a component's client handle.
    /// - Parameter id: `<module>.<instance>` (for example `chart.KRW-BTC-1m`): 1–128 visible
    ///   ASCII characters, unique among open clients.
    /// - Returns: The handle; closing or releasing it ends its subscriptions.
    /// - Throws: `MarketStreamError/Code/duplicateClientID`, `.invalidArgument` or `.routerShutDown`.
    public func client(_ id: String) throws(MarketStreamError) -> MarketDataClient {
        guard (1...128).contains(id.utf8.count), id.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            throw MarketStreamError(.invalidArgument, "invalid client id '\(id)': use <module>.<instance>")
        }
        try state.withLock { state throws(MarketStreamError) in
            guard state.lifecycle != .shutDown else {
                throw MarketStreamError(.routerShutDown, "the router has shut down")
            }
            guard state.clients[id] == nil else {
                throw MarketStreamError(.duplicateClientID, "a client with id '\(id)' is already open")
            }
            state.clients[id] = []
        }
        return MarketDataClient(id: id, router: self)
    }

    // MARK: - Internals

    /// `policy`, or the kind's default; on a router that forwards frames only, connection events
    /// only, and any other policy refused.
    func effectivePolicy(_ policy: DeliveryPolicy?, for kind: DataKind) throws(MarketStreamError) -> DeliveryPolicy {
        guard configuration.forwardsFramesOnly else { return policy ?? .default(for: kind) }
        guard policy == nil || policy == .connectionEventsOnly else {
            throw MarketStreamError(
                .invalidArgument,
                "this router forwards frames only (RouterConfiguration.forwardsFramesOnly): its subscriptions take connection events only"
            )
        }
        return .connectionEventsOnly
    }

    func resolve(_ exchange: ExchangeID?) throws(MarketStreamError) -> any AbstractWebSocketManager {
        if let exchange {
            guard let manager = managers[exchange] else {
                throw MarketStreamError(.unknownExchange, "no exchange module named '\(exchange)' is registered")
            }
            return manager
        }
        guard managers.count == 1, let only = managers.values.first else {
            throw MarketStreamError(.invalidArgument, "name the exchange: this router routes \(managers.count)")
        }
        return only
    }

    /// Validates a request and returns its channel and the topics its subscriber receives.
    ///
    /// A handler-derived kind lives on the channel that carries the handler's inputs.
    func topics(for kind: DataKind, markets: [MarketCode], on exchange: ExchangeID?) throws(MarketStreamError)
        -> (ChannelRuntime, Set<SubscriptionTopic>)
    {
        let manager = try resolve(exchange)
        let carried: [DataKind]
        if kind.isCustom {
            guard let handler = state.withLock({ $0.handlers[kind] }) else {
                throw MarketStreamError(
                    .unsupportedDataKind, "no exchange channel or handler produces '\(kind)'",
                    exchange: manager.exchange)
            }
            carried = handler.consumedKinds
        } else {
            carried = [kind]
        }
        let channels = carried.map { manager.channel(carrying: $0)?.id }
        guard let first = channels.first, let channel = first, channels.allSatisfy({ $0 == channel }),
            let runtime = runtimes[ChannelKey(exchange: manager.exchange, channel: channel)]
        else {
            throw MarketStreamError(
                .unsupportedDataKind, "\(manager.exchange) carries no '\(kind)' data", exchange: manager.exchange)
        }
        if let unavailable = manager.unavailability(of: channel) { throw unavailable }
        // Account-wide kinds, and private kinds asked for without markets, cover the whole account.
        let wholeAccount = kind.isAccountWide || (kind.isPrivate && markets.isEmpty)
        let marketList = wholeAccount ? [MarketCode.account] : markets
        guard !marketList.isEmpty else {
            throw MarketStreamError(.invalidArgument, "subscribe to at least one market")
        }
        let topics = Set(marketList.map { SubscriptionTopic(exchange: manager.exchange, kind: kind, market: $0) })
        if !kind.isCustom, let descriptor = manager.channels.first(where: { $0.id == channel }) {
            for topic in topics {
                if let refusal = manager.validate(topic, on: descriptor) { throw refusal }
            }
        }
        return (runtime, topics)
    }

    func subscribe(
        to kind: DataKind, markets: [MarketCode], on exchange: ExchangeID?, policy: DeliveryPolicy?, clientID: String?
    ) throws(MarketStreamError) -> Subscription {
        let (runtime, topics) = try self.topics(for: kind, markets: markets, on: exchange)
        let policy = try effectivePolicy(policy, for: kind)
        let buffer = try state.withLock { state throws(MarketStreamError) -> SubscriberBuffer in
            guard state.lifecycle != .shutDown else {
                throw MarketStreamError(.routerShutDown, "the router has shut down")
            }
            if let clientID, state.clients[clientID] == nil {
                throw MarketStreamError(.clientClosed, "client '\(clientID)' is closed")
            }
            let id = state.makeSubscriberID()
            // One topic, drop-oldest, and not the topic's only such subscriber: read the topic's
            // broadcast log, appended once for all of them.
            let log =
                topics.count == 1 && policy == .dropOldest
                ? topics.first.flatMap {
                    state.broadcastLog(for: $0, on: runtime.key, capacity: configuration.bufferCapacity)
                } : nil
            let buffer = SubscriberBuffer(
                id: id, channel: runtime.key, policy: policy, capacity: configuration.bufferCapacity, log: log,
                dropCounter: Counter(
                    label: "marketstream.subscriber.dropped",
                    dimensions: [
                        ("exchange", runtime.key.exchange.rawValue), ("kind", kind.family),
                        ("subscriber", clientID ?? "anonymous"),
                    ],
                    factory: metricsFactory),
                onTermination: { [weak self] id in self?.release(id) }
            )
            buffer.advanceGeneration(to: runtime.generation)
            _ = try state.add(
                SubscriberRecord(
                    buffer: buffer, kind: kind, topics: topics, clientID: clientID, isSnapshotWaiter: false)
            )
            runtime.routes.publish(state.routeTable(for: runtime.key))
            subscriberGauge.record(state.subscribers.count)
            return buffer
        }
        logger.trace(
            "subscribed",
            metadata: ["subscriber": "\(buffer.id)", "kind": "\(kind)", "markets": "\(topics.count)"])
        runtime.wake()
        return Subscription(handle: SubscriptionHandle(buffer: buffer, kind: kind))
    }

    /// Removes a subscriber (its stream ended); idempotent.
    func release(_ id: SubscriberID) {
        let now = now()
        let record = state.withLock { state in
            let record = state.removeSubscriber(id, now: now, grace: configuration.gracePeriod)
            if let record, let runtime = runtimes[record.channel] {
                runtime.routes.publish(state.routeTable(for: record.channel))
                runtime.update { $0.droppedByDeparted += record.buffer.droppedCount }
            }
            subscriberGauge.record(state.subscribers.count)
            return record
        }
        guard let record else { return }
        logger.trace("released", metadata: ["subscriber": "\(id)"])
        if !record.isSnapshotWaiter { runtimes[record.channel]?.wake() }
    }

    func unsubscribe(clientID: String, kind: DataKind, markets: [MarketCode]) {
        let now = now()
        let marketSet = Set(kind.isAccountWide ? [MarketCode.account] : markets)
        let (ended, channels) = state.withLock { state -> ([SubscriberBuffer], Set<ChannelKey>) in
            var ended: [SubscriberBuffer] = []
            var channels: Set<ChannelKey> = []
            for id in state.clients[clientID] ?? [] {
                guard let record = state.subscribers[id], record.kind == kind else { continue }
                let topics = record.topics.filter { marketSet.contains($0.market) }
                guard !topics.isEmpty else { continue }
                channels.insert(record.channel)
                if let removed = state.remove(topics, from: id, now: now, grace: configuration.gracePeriod) {
                    ended.append(removed.buffer)
                    runtimes[removed.channel]?.update { $0.droppedByDeparted += removed.buffer.droppedCount }
                }
            }
            for channel in channels { runtimes[channel]?.routes.publish(state.routeTable(for: channel)) }
            subscriberGauge.record(state.subscribers.count)
            return (ended, channels)
        }
        for buffer in ended { buffer.finish() }
        for channel in channels { runtimes[channel]?.wake() }
    }

    func unsubscribeAll(clientID: String) {
        let buffers = state.withLock { state in
            (state.clients[clientID] ?? []).compactMap { state.subscribers[$0]?.buffer }
        }
        // Finishing reports termination, which releases each subscriber.
        for buffer in buffers { buffer.finish() }
    }

    func closeClient(_ clientID: String) {
        unsubscribeAll(clientID: clientID)
        _ = state.withLock { $0.clients.removeValue(forKey: clientID) }
    }
}
