import MarketStreamCore
import Synchronization

/// One component's handle on the router (the design's per-component proxy): its subscriptions,
/// partial unsubscribe, unsubscribe-all and close.
///
/// Identifiers follow `<module>.<instance>` (`chart.KRW-BTC-1m`); two open clients may not share
/// one. Closing or releasing the handle ends every subscription it made.
public final class MarketDataClient: Sendable {
    /// The client's identifier.
    public let id: String
    let router: MarketDataRouter
    private let closed = Mutex(false)

    init(id: String, router: MarketDataRouter) {
        self.id = id
        self.router = router
    }

    deinit {
        close()
    }

    /// Subscribes this component to `kind` for `markets`.
    /// - Parameters:
    ///   - kind: The data kind.
    ///   - markets: The markets (ignored for account-wide kinds such as `myAsset`).
    ///   - exchange: The exchange; may be omitted when the router has one.
    ///   - policy: The delivery policy; defaults to ``DeliveryPolicy/default(for:)``.
    /// - Returns: The event stream.
    /// - Throws: `MarketStreamError` for a closed client or invalid input.
    public func subscribe(
        to kind: DataKind, markets: [MarketCode], on exchange: ExchangeID? = nil, policy: DeliveryPolicy? = nil
    ) throws(MarketStreamError) -> Subscription {
        try checkOpen()
        return try router.subscribe(to: kind, markets: markets, on: exchange, policy: policy, clientID: id)
    }

    /// Takes the current state of `kind` for `markets` without ending any live stream.
    /// - Returns: One snapshot event per market that answered.
    /// - Throws: `MarketStreamError` for a closed client, invalid input or a timeout.
    public func snapshot(of kind: DataKind, markets: [MarketCode], on exchange: ExchangeID? = nil) async throws
        -> [MarketEvent]
    {
        try checkOpen()
        return try await router.snapshot(of: kind, markets: markets, on: exchange)
    }

    /// Stops receiving `kind` for `markets` on every subscription of this client; subscriptions
    /// left without markets end.
    /// - Parameters:
    ///   - kind: The data kind.
    ///   - markets: The markets to drop.
    public func unsubscribe(from kind: DataKind, markets: [MarketCode]) {
        router.unsubscribe(clientID: id, kind: kind, markets: markets)
    }

    /// Ends every subscription of this client; the client stays open for new ones.
    public func unsubscribeAll() {
        router.unsubscribeAll(clientID: id)
    }

    /// Ends every subscription and frees the identifier. Further use throws
    /// `MarketStreamError/Code/clientClosed`.
    public func close() {
        let wasOpen = closed.withLock { closed in
            defer { closed = true }
            return !closed
        }
        guard wasOpen else { return }
        router.closeClient(id)
    }

    /// Whether ``close()`` was called.
    public var isClosed: Bool { closed.withLock { $0 } }

    private func checkOpen() throws(MarketStreamError) {
        if isClosed { throw MarketStreamError(.clientClosed, "client '\(id)' is closed") }
    }
}
