import MarketStreamCore

/// Serves `myAsset` and `myOrder` from REST while the private stream is unavailable: balances from
/// `GET /v1/accounts`; orders from `GET /v1/orders/open`, `GET /v1/orders/closed` (orders that
/// finished between two polls, market orders included) and `GET /v1/order` for their fills. Reports only changes, as the stream would, with stream
/// ``StreamKind/polled``; every call is a background call, so orders placed meanwhile go first.
struct UpbitAccountPoller: RESTFallbackPoller {
    let rest: UpbitRESTClient
    let interval: Duration
    private var balances: [String: MyAsset.Balance]?
    private var openOrders: [String: UpbitOrder] = [:]
    /// Fills already reported, per order.
    private var reportedFills: [String: Int] = [:]
    /// Finished orders already known (reported, or finished before polling began).
    private var knownClosed: Set<String>?
    private var assetSequence = 0

    init(rest: UpbitRESTClient, interval: Duration) {
        self.rest = rest
        self.interval = interval
    }

    mutating func poll(_ topics: Set<SubscriptionTopic>, context: DecodeContext) async throws -> [MarketEvent] {
        var events: [MarketEvent] = []
        if topics.contains(where: { $0.kind == .myAsset }) {
            events += try await pollBalances(context: context)
        }
        let orderTopics = topics.filter { $0.kind == .myOrder }
        if !orderTopics.isEmpty {
            let everyMarket = orderTopics.contains { $0.market == .account }
            let markets = Set(orderTopics.map(\.market))
            events += try await pollOrders(context: context) { everyMarket || markets.contains($0) }
        }
        return events
    }

    private mutating func pollBalances(context: DecodeContext) async throws(UpbitRESTError) -> [MarketEvent] {
        let accounts = try await rest.accounts(priority: .background)
        var current: [String: MyAsset.Balance] = [:]
        for account in accounts {
            current[account.currency] = MyAsset.Balance(
                currency: account.currency, balance: account.balance, locked: account.locked)
        }
        var changed = current.values.filter { balances?[$0.currency] != $0 }
        // A currency that disappeared was spent to zero.
        for (currency, _) in balances ?? [:] where current[currency] == nil {
            changed.append(MyAsset.Balance(currency: currency, balance: .zero, locked: .zero))
        }
        balances = current
        guard !changed.isEmpty else { return [] }
        changed.sort { $0.currency < $1.currency }
        assetSequence += 1
        let asset = MyAsset(
            assetUUID: "polled-\(assetSequence)", assets: changed, assetTimestamp: context.receivedAt)
        return [event(.myAsset, market: .account, payload: .myAsset(asset), context: context)]
    }

    private mutating func pollOrders(context: DecodeContext, wanted: (MarketCode) -> Bool)
        async throws(UpbitRESTError) -> [MarketEvent]
    {
        let open = try await rest.openOrders(priority: .background)
        var events: [MarketEvent] = []
        var nowOpen: [String: UpbitOrder] = [:]
        for order in open {
            nowOpen[order.uuid] = order
            let previous = openOrders[order.uuid]
            if previous == nil, order.executedVolume.isZero {
                if wanted(order.market) { events.append(orderEvent(order, context: context)) }
            } else if previous == nil || previous!.executedVolume != order.executedVolume {
                let detailed = try await rest.order(uuid: order.uuid, priority: .background)
                if wanted(order.market) { events += fillEvents(detailed, context: context) }
            }
        }
        // Orders that finished since the last poll — left the book, or placed and filled in
        // between (market orders): their fills not yet reported, then the final state.
        let closed = try await rest.closedOrders(limit: 100, priority: .background)
        if let known = knownClosed {
            for order in closed where !known.contains(order.uuid) {
                let final = try await rest.order(uuid: order.uuid, priority: .background)
                if wanted(order.market) {
                    events += fillEvents(final, context: context)
                    events.append(orderEvent(final, context: context))
                }
                reportedFills[order.uuid] = nil
            }
        }
        knownClosed = Set(closed.map(\.uuid))
        openOrders = nowOpen
        return events
    }

    /// One `trade` event per fill not yet reported.
    private mutating func fillEvents(_ order: UpbitOrder, context: DecodeContext) -> [MarketEvent] {
        let already = reportedFills[order.uuid] ?? 0
        guard order.fills.count > already else { return [] }
        reportedFills[order.uuid] = order.fills.count
        var executed = order.fills.prefix(already).reduce(ExactDecimal.zero) { $0 + $1.volume }
        return order.fills.dropFirst(already).map { fill in
            executed = executed + fill.volume
            let payload = MyOrder(
                uuid: order.uuid, side: order.side, orderType: order.orderType, state: "trade", tradeUUID: fill.uuid,
                price: fill.price, volume: fill.volume,
                remainingVolume: order.volume.map { $0 - executed }, executedVolume: executed,
                tradesCount: order.fills.count, identifier: order.identifier)
            return event(.myOrder, market: order.market, payload: .myOrder(payload), context: context)
        }
    }

    private func orderEvent(_ order: UpbitOrder, context: DecodeContext) -> MarketEvent {
        let payload = MyOrder(
            uuid: order.uuid, side: order.side, orderType: order.orderType, state: order.state, price: order.price,
            volume: order.volume, remainingVolume: order.remainingVolume, executedVolume: order.executedVolume,
            tradesCount: order.tradesCount, paidFee: order.paidFee, locked: order.locked, identifier: order.identifier)
        return event(.myOrder, market: order.market, payload: .myOrder(payload), context: context)
    }

    private func event(_ kind: DataKind, market: MarketCode, payload: MarketPayload, context: DecodeContext)
        -> MarketEvent
    {
        MarketEvent(
            exchange: context.exchange, kind: kind, market: market, stream: .polled, timestamp: context.receivedAt,
            receivedAt: context.receivedAt, generation: context.generation, payload: payload)
    }
}
