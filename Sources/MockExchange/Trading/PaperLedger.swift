import Foundation
import MarketStreamCore

/// An error of the paper-trading account, named as Upbit's REST errors (`insufficient_funds_bid`,
/// `invalid_parameter`, …), with Upbit's message.
public struct LedgerError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Upbit's error name.
    public let name: String
    /// Upbit's message (Korean, as Upbit sends it).
    public let message: String

    public var description: String { "\(name): \(message)" }
}

/// The paper-trading account: balances, orders and matching against a book.
///
/// The mock exchange keeps one behind its REST API; a backtest can keep one in process and fill
/// orders against recorded prices with ``place(market:side:orderType:price:volume:identifier:top:at:)``.
/// Market orders fill at once at the best price (a buy at the ask, a sell at the bid) and pay
/// ``feeRate`` of their funds; the account events (`myOrder`, `myAsset`) are what Upbit would send.
public struct PaperLedger: Sendable {
    /// One currency's holding.
    public struct Balance: Sendable {
        /// Available.
        public var balance: ExactDecimal = .zero
        /// Locked in open orders.
        public var locked: ExactDecimal = .zero
        /// The average price paid, in the quote currency.
        public var averageBuyPrice: ExactDecimal = .zero
    }

    /// An order and its fills.
    public struct Order: Sendable {
        var uuid: String
        var market: MarketCode
        var side: TradeSide
        /// `limit`, `price` (market buy by funds) or `market` (market sell by volume).
        var orderType: String
        var price: ExactDecimal?
        var volume: ExactDecimal?
        var remainingVolume: ExactDecimal
        var executedVolume: ExactDecimal = .zero
        var executedFunds: ExactDecimal = .zero
        var paidFee: ExactDecimal = .zero
        var locked: ExactDecimal
        var state: String = "wait"
        var tradesCount = 0
        var createdAt: Int64
        var identifier: String?
        var trades: [(uuid: String, price: ExactDecimal, volume: ExactDecimal, funds: ExactDecimal, at: Int64)] = []

        /// Whether the order still waits for a fill.
        public var isOpen: Bool { state == "wait" }
        /// The order's id.
        public var id: String { uuid }
    }

    /// A fill: the public trade it prints and the account events it causes.
    public struct Fill: Sendable {
        var publicTrade: (market: MarketCode, price: ExactDecimal, volume: ExactDecimal, side: TradeSide)?
        /// The account events of the fill: the `myOrder` trade and done, and the `myAsset` change.
        public var privateEvents: [MarketEvent]
    }

    /// Every currency's holding.
    public private(set) var balances: [String: Balance]
    private(set) var orders: [String: Order] = [:]
    /// The fee on a fill, as a fraction of its funds (Upbit's KRW market: 0.0005).
    public let feeRate: ExactDecimal

    /// Creates an account.
    /// - Parameters:
    ///   - balances: The starting balance of each currency.
    ///   - feeRate: The fee on a fill, as a fraction of its funds.
    public init(balances: [String: ExactDecimal], feeRate: ExactDecimal) {
        self.balances = balances.mapValues { Balance(balance: $0) }
        self.feeRate = feeRate
    }

    /// Finished orders (`done` or `cancel`), newest first.
    var closedOrders: [Order] {
        orders.values.filter { $0.state == "done" || $0.state == "cancel" }.sorted { $0.createdAt > $1.createdAt }
    }

    var openOrders: [Order] { orders.values.filter { $0.state == "wait" }.sorted { $0.createdAt < $1.createdAt } }

    /// Places an order against the simulated market's book.
    mutating func place(
        market: MarketCode, side: TradeSide, orderType: String, price: ExactDecimal?, volume: ExactDecimal?,
        identifier: String?, simulator: MarketSimulator, at now: Int64
    ) throws(LedgerError) -> (Order, [Fill], [MarketEvent]) {
        try place(
            market: market, side: side, orderType: orderType, price: price, volume: volume, identifier: identifier,
            top: simulator.market(market)?.book.first, at: now)
    }

    /// Places an order; a marketable one fills at once against `top`.
    /// - Parameters:
    ///   - orderType: `limit` (price and volume), `price` (a market buy of `price` worth of the
    ///     quote currency) or `market` (a market sell of `volume`), as Upbit names them.
    ///   - top: The market's best ask and bid now; `nil` when the market is unknown.
    ///   - now: Epoch milliseconds, the time the account events carry.
    /// - Returns: The order, its fills, and the account events of placing it that are not a fill's.
    /// - Throws: ``LedgerError`` as Upbit names it: `market_does_not_exist`, `invalid_parameter`,
    ///   `invalid_price`, `insufficient_funds_bid`/`_ask`, `duplicate_identifier`.
    public mutating func place(
        market: MarketCode, side: TradeSide, orderType: String, price: ExactDecimal?, volume: ExactDecimal?,
        identifier: String?, top: Orderbook.Unit?, at now: Int64
    ) throws(LedgerError) -> (Order, [Fill], [MarketEvent]) {
        guard let best = top else {
            throw LedgerError(name: "market_does_not_exist", message: "마켓 정보가 존재하지 않습니다.")
        }
        if let identifier, orders.values.contains(where: { $0.identifier == identifier }) {
            throw LedgerError(name: "duplicate_identifier", message: "identifier 가 중복되었습니다.")
        }
        let quote = String(market.quote)
        let base = String(market.base)
        var locked: ExactDecimal
        switch (orderType, side) {
        case ("limit", _):
            guard let price, let volume, price > .zero, volume > .zero else {
                throw LedgerError(name: "invalid_parameter", message: "limit 주문에는 price 와 volume 이 필요합니다.")
            }
            guard TickSize.round(price, quote: market.quote) == price else {
                throw LedgerError(name: "invalid_price", message: "주문 가격 단위를 잘못 입력하셨습니다.")
            }
            locked = side == .bid ? price * volume * (1 + feeRate) : volume
        case ("price", .bid):
            guard let price, price > .zero, volume == nil else {
                throw LedgerError(name: "invalid_parameter", message: "시장가 매수에는 price 만 필요합니다.")
            }
            locked = price * (1 + feeRate)
        case ("market", .ask):
            guard let volume, volume > .zero, price == nil else {
                throw LedgerError(name: "invalid_parameter", message: "시장가 매도에는 volume 만 필요합니다.")
            }
            locked = volume
        default:
            throw LedgerError(name: "invalid_parameter", message: "지원하지 않는 주문 유형입니다.")
        }
        let currency = side == .bid ? quote : base
        var account = balances[currency] ?? Balance()
        guard account.balance >= locked else {
            throw LedgerError(
                name: side == .bid ? "insufficient_funds_bid" : "insufficient_funds_ask", message: "주문가능 금액이 부족합니다.")
        }
        account.balance = account.balance - locked
        account.locked = account.locked + locked
        balances[currency] = account
        var order = Order(
            uuid: UUID().uuidString.lowercased(), market: market, side: side, orderType: orderType, price: price,
            volume: volume, remainingVolume: volume ?? .zero, locked: locked, createdAt: now, identifier: identifier)
        var events = [orderEvent(order, at: now), assetEvent([currency], at: now)]
        var fills: [Fill] = []
        // Marketable orders take the best price at once.
        switch (orderType, side) {
        case ("price", .bid):
            let funds = price!
            let filled = funds.divided(by: best.askPrice, scale: 8) ?? .zero
            fills.append(fill(&order, price: best.askPrice, volume: filled, funds: funds, maker: false, at: now))
        case ("market", .ask):
            fills.append(
                fill(
                    &order, price: best.bidPrice, volume: volume!, funds: best.bidPrice * volume!, maker: false, at: now
                ))
        case ("limit", .bid) where best.askPrice <= price!:
            fills.append(
                fill(
                    &order, price: best.askPrice, volume: volume!, funds: best.askPrice * volume!, maker: false, at: now
                ))
        case ("limit", .ask) where best.bidPrice >= price!:
            fills.append(
                fill(
                    &order, price: best.bidPrice, volume: volume!, funds: best.bidPrice * volume!, maker: false, at: now
                ))
        default:
            break
        }
        orders[order.uuid] = order
        if fills.isEmpty { return (order, [], events) }
        events = [events[0]]  // the fill's events carry the balances
        return (order, fills, events)
    }

    /// Cancels an open order.
    mutating func cancel(uuid: String, at now: Int64) throws(LedgerError) -> (Order, [MarketEvent]) {
        guard var order = orders[uuid] else {
            throw LedgerError(name: "order_not_found", message: "주문을 찾지 못했습니다.")
        }
        guard order.state == "wait" else {
            throw LedgerError(name: "order_not_found", message: "이미 체결되었거나 취소된 주문입니다.")
        }
        let currency = String(order.side == .bid ? order.market.quote : order.market.base)
        var account = balances[currency] ?? Balance()
        account.locked = account.locked - order.locked
        account.balance = account.balance + order.locked
        balances[currency] = account
        order.locked = .zero
        order.state = "cancel"
        orders[uuid] = order
        return (order, [orderEvent(order, at: now), assetEvent([currency], at: now)])
    }

    /// Fills resting limit orders that the current book crosses, at their own price (maker).
    mutating func match(against simulator: MarketSimulator, at now: Int64) -> [Fill] {
        var fills: [Fill] = []
        for var order in openOrders where order.orderType == "limit" {
            guard let market = simulator.market(order.market), let price = order.price else { continue }
            let crosses = order.side == .bid ? market.book[0].askPrice <= price : market.book[0].bidPrice >= price
            guard crosses else { continue }
            fills.append(
                fill(
                    &order, price: price, volume: order.remainingVolume, funds: price * order.remainingVolume,
                    maker: true, at: now))
            orders[order.uuid] = order
        }
        return fills
    }

    private mutating func fill(
        _ order: inout Order, price: ExactDecimal, volume: ExactDecimal, funds: ExactDecimal, maker: Bool, at now: Int64
    ) -> Fill {
        let fee = funds * feeRate
        let quote = String(order.market.quote)
        let base = String(order.market.base)
        var quoteAccount = balances[quote] ?? Balance()
        var baseAccount = balances[base] ?? Balance()
        if order.side == .bid {
            // Release what was locked, pay funds + fee, receive the base currency.
            quoteAccount.locked = quoteAccount.locked - order.locked
            quoteAccount.balance = quoteAccount.balance + order.locked - funds - fee
            let held = baseAccount.balance + baseAccount.locked
            let cost = baseAccount.averageBuyPrice * held + funds
            baseAccount.balance = baseAccount.balance + volume
            baseAccount.averageBuyPrice = cost.divided(by: held + volume, scale: 8) ?? price
        } else {
            baseAccount.locked = baseAccount.locked - order.locked
            baseAccount.balance = baseAccount.balance + order.locked - volume
            quoteAccount.balance = quoteAccount.balance + funds - fee
        }
        balances[quote] = quoteAccount
        balances[base] = baseAccount
        order.locked = .zero
        order.executedVolume = order.executedVolume + volume
        order.executedFunds = order.executedFunds + funds
        order.remainingVolume = .zero
        order.paidFee = order.paidFee + fee
        order.tradesCount += 1
        let tradeUUID = UUID().uuidString.lowercased()
        order.trades.append((tradeUUID, price, volume, funds, now))
        var tradeEvent = orderEvent(order, at: now)
        if case .myOrder(var update) = tradeEvent.payload {
            update.state = "trade"
            update.tradeUUID = tradeUUID
            update.price = price
            update.volume = volume
            update.tradeFee = fee
            update.isMaker = maker
            update.tradeTimestamp = UnixTime(milliseconds: now)
            tradeEvent = tradeEvent.deriving(kind: .myOrder, payload: .myOrder(update))
        }
        order.state = "done"
        return Fill(
            publicTrade: (order.market, price, volume, order.side),
            privateEvents: [tradeEvent, orderEvent(order, at: now), assetEvent([quote, base], at: now)])
    }

    func orderEvent(_ order: Order, at now: Int64) -> MarketEvent {
        let average =
            order.executedVolume.isZero ? nil : order.executedFunds.divided(by: order.executedVolume, scale: 8)
        let payload = MyOrder(
            uuid: order.uuid, side: order.side, orderType: order.orderType, state: order.state, price: order.price,
            averagePrice: average, volume: order.volume, remainingVolume: order.remainingVolume,
            executedVolume: order.executedVolume, tradesCount: order.tradesCount, reservedFee: .zero,
            remainingFee: .zero, paidFee: order.paidFee, locked: order.locked, executedFunds: order.executedFunds,
            identifier: order.identifier, orderTimestamp: UnixTime(milliseconds: order.createdAt))
        return MarketEvent(
            exchange: "mock", kind: .myOrder, market: order.market, stream: .realtime,
            timestamp: UnixTime(milliseconds: now), receivedAt: UnixTime(milliseconds: now), generation: .none,
            payload: .myOrder(payload))
    }

    func assetEvent(_ currencies: [String], at now: Int64) -> MarketEvent {
        let assets = currencies.map { currency in
            let account = balances[currency] ?? Balance()
            return MyAsset.Balance(currency: currency, balance: account.balance, locked: account.locked)
        }
        return MarketEvent(
            exchange: "mock", kind: .myAsset, market: .account, stream: .realtime,
            timestamp: UnixTime(milliseconds: now),
            receivedAt: UnixTime(milliseconds: now), generation: .none,
            payload: .myAsset(
                MyAsset(
                    assetUUID: UUID().uuidString.lowercased(), assets: assets,
                    assetTimestamp: UnixTime(milliseconds: now))))
    }
}
