import CoreMetrics
import MarketStreamCore
import Metrics
import Synchronization

extension MarketDataRouter {
    /// Takes the current state of `kind` for `markets`, without ending any live stream.
    ///
    /// Over the live connection the request joins the next batched upstream message, which
    /// re-lists every live topic, so a snapshot never cancels another component's stream. When
    /// ``RouterConfiguration/prefersRESTSnapshots`` is set and the exchange module is a
    /// `RESTSnapshotProvider`, REST answers instead.
    /// - Parameters:
    ///   - kind: The data kind.
    ///   - markets: The markets.
    ///   - exchange: The exchange; may be omitted when the router routes exactly one.
    /// - Returns: One snapshot event per market, in the order of `markets`.
    /// - Throws: `MarketStreamError`: validation errors, `.timedOut` when the exchange did not
    ///   answer for every market within ``RouterConfiguration/snapshotTimeout``, `.routerShutDown`;
    ///   `.invalidArgument` on a router that forwards frames only.
    public func snapshot(of kind: DataKind, markets: [MarketCode], on exchange: ExchangeID? = nil) async throws
        -> [MarketEvent]
    {
        guard !configuration.forwardsFramesOnly else {
            throw MarketStreamError(
                .invalidArgument,
                "this router forwards frames only (RouterConfiguration.forwardsFramesOnly): it takes no snapshot requests"
            )
        }
        let manager = try resolve(exchange)
        if configuration.prefersRESTSnapshots, let rest = manager as? any RESTSnapshotProvider {
            return try await rest.restSnapshot(of: kind, markets: markets)
        }
        let (runtime, topics) = try self.topics(for: kind, markets: markets, on: exchange)
        if manager.channels.first(where: { $0.id == runtime.key.channel })?.snapshotsOverSocket == false {
            guard let rest = manager as? any RESTSnapshotProvider else {
                throw MarketStreamError(
                    .unsupportedDataKind, "\(manager.exchange) answers no snapshot request: subscribe instead",
                    exchange: manager.exchange)
            }
            return try await rest.restSnapshot(of: kind, markets: markets)
        }
        let buffer = try state.withLock { state throws(MarketStreamError) -> SubscriberBuffer in
            guard state.lifecycle != .shutDown else {
                throw MarketStreamError(.routerShutDown, "the router has shut down")
            }
            let buffer = SubscriberBuffer(
                id: state.makeSubscriberID(), channel: runtime.key, policy: .dropOldest,
                capacity: max(16, topics.count * 4), acceptsOnlySnapshots: true, dropCounter: nil,
                onTermination: { [weak self] id in self?.release(id) })
            _ = try state.add(
                SubscriberRecord(buffer: buffer, kind: kind, topics: topics, clientID: nil, isSnapshotWaiter: true))
            // A derived kind's snapshot is derived from its inputs' snapshots.
            let upstream = state.upstreamTopics(for: topics)
            runtime.update { $0.pendingSnapshots.formUnion(upstream) }
            runtime.routes.publish(state.routeTable(for: runtime.key))
            return buffer
        }
        defer { buffer.cancel() }
        runtime.wake()

        let timeout = configuration.snapshotTimeout
        let clock = self.clock
        let wanted = Set(topics.map(\.market))
        let received = try await withThrowingTaskGroup(of: [MarketCode: MarketEvent]?.self) { group in
            group.addTask {
                var received: [MarketCode: MarketEvent] = [:]
                while let item = try await buffer.next() {
                    guard let event = item.marketEvent, wanted.contains(event.market) else { continue }
                    received[event.market] = event
                    if received.count == wanted.count { return received }
                }
                return nil
            }
            group.addTask {
                try await clock.sleep(for: timeout)
                return nil
            }
            defer { group.cancelAll() }
            return try await group.next() ?? nil
        }
        guard let received else {
            try Task.checkCancellation()
            throw MarketStreamError(
                .timedOut,
                "no \(kind) snapshot for \(markets.map(\.rawValue).joined(separator: ",")) within \(timeout)",
                exchange: runtime.key.exchange)
        }
        let order = kind.isAccountWide ? [MarketCode.account] : markets
        return order.compactMap { received[$0] }
    }
}
