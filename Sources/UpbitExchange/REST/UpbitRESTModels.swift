import MarketStreamCore

/// One currency of the account (`GET /v1/accounts`); amounts are exact.
public struct UpbitAccount: Sendable, Hashable {
    /// `KRW`, `BTC`, …
    public var currency: String
    /// Available.
    public var balance: ExactDecimal
    /// Locked in open orders.
    public var locked: ExactDecimal
    /// Average buy price.
    public var averageBuyPrice: ExactDecimal
    /// The currency `averageBuyPrice` is quoted in.
    public var unitCurrency: String

    /// Creates an account line.
    public init(
        currency: String, balance: ExactDecimal, locked: ExactDecimal, averageBuyPrice: ExactDecimal = .zero,
        unitCurrency: String = "KRW"
    ) {
        self.currency = currency
        self.balance = balance
        self.locked = locked
        self.averageBuyPrice = averageBuyPrice
        self.unitCurrency = unitCurrency
    }
}

/// An order as the exchange reports it (`GET /v1/order`, `/v1/orders/open`, `POST /v1/orders`,
/// `DELETE /v1/order`).
public struct UpbitOrder: Sendable, Hashable {
    /// One fill of the order (only `GET /v1/order` lists them).
    public struct Fill: Sendable, Hashable {
        /// The fill's id.
        public var uuid: String
        public var price: ExactDecimal
        public var volume: ExactDecimal
        /// `price × volume`.
        public var funds: ExactDecimal
        /// ISO 8601 time.
        public var createdAt: String
    }

    public var uuid: String
    public var market: MarketCode
    public var side: TradeSide
    /// `limit`, `price` (market buy by funds), `market` (market sell) or `best`.
    public var orderType: String
    /// `wait`, `watch`, `done` or `cancel`.
    public var state: String
    public var price: ExactDecimal?
    public var volume: ExactDecimal?
    public var remainingVolume: ExactDecimal?
    public var executedVolume: ExactDecimal
    public var paidFee: ExactDecimal?
    public var locked: ExactDecimal?
    public var tradesCount: Int
    /// The client's order id, when one was given.
    public var identifier: String?
    /// ISO 8601 time.
    public var createdAt: String
    /// Fills, when the endpoint lists them.
    public var fills: [Fill]

    /// Whether the order can still trade.
    public var isOpen: Bool { state == "wait" || state == "watch" }
}

/// A new order for `POST /v1/orders`.
public struct UpbitOrderRequest: Sendable, Hashable {
    public var market: MarketCode
    public var side: TradeSide
    /// `limit`, `price` or `market`.
    public var orderType: String
    public var price: ExactDecimal?
    public var volume: ExactDecimal?
    /// A client order id.
    public var identifier: String?

    /// A limit order.
    public static func limit(
        _ market: MarketCode, _ side: TradeSide, price: ExactDecimal, volume: ExactDecimal, identifier: String? = nil
    ) -> Self {
        Self(market: market, side: side, orderType: "limit", price: price, volume: volume, identifier: identifier)
    }

    /// A market buy spending `funds` of the quote currency.
    public static func marketBuy(_ market: MarketCode, funds: ExactDecimal, identifier: String? = nil) -> Self {
        Self(market: market, side: .bid, orderType: "price", price: funds, volume: nil, identifier: identifier)
    }

    /// A market sell of `volume`.
    public static func marketSell(_ market: MarketCode, volume: ExactDecimal, identifier: String? = nil) -> Self {
        Self(market: market, side: .ask, orderType: "market", price: nil, volume: volume, identifier: identifier)
    }

    /// The body's fields in the order they are sent (and hashed for `query_hash`).
    var fields: [(String, String)] {
        var fields = [("market", market.rawValue), ("side", side == .bid ? "bid" : "ask")]
        if let volume { fields.append(("volume", volume.description)) }
        if let price { fields.append(("price", price.description)) }
        fields.append(("ord_type", orderType))
        if let identifier { fields.append(("identifier", identifier)) }
        return fields
    }
}

/// A listed market (`GET /v1/market/all`).
public struct UpbitMarket: Sendable, Hashable {
    public var code: MarketCode
    public var koreanName: String
    public var englishName: String
}

extension UpbitAccount {
    init(json: RESTJSON) throws(RESTJSON.Malformed) {
        guard let currency = json["currency"]?.text, let balance = json["balance"]?.decimal,
            let locked = json["locked"]?.decimal
        else { throw RESTJSON.Malformed() }
        self.init(
            currency: currency, balance: balance, locked: locked,
            averageBuyPrice: json["avg_buy_price"]?.decimal ?? .zero,
            unitCurrency: json["unit_currency"]?.text ?? "KRW")
    }
}

extension UpbitOrder {
    init(json: RESTJSON) throws(RESTJSON.Malformed) {
        guard let uuid = json["uuid"]?.text, let marketText = json["market"]?.text,
            let market = try? MarketCode(marketText), let sideText = json["side"]?.text,
            let orderType = json["ord_type"]?.text, let state = json["state"]?.text
        else { throw RESTJSON.Malformed() }
        self.uuid = uuid
        self.market = market
        self.side = sideText == "ask" ? .ask : .bid
        self.orderType = orderType
        self.state = state
        self.price = json["price"]?.decimal
        self.volume = json["volume"]?.decimal
        self.remainingVolume = json["remaining_volume"]?.decimal
        self.executedVolume = json["executed_volume"]?.decimal ?? .zero
        self.paidFee = json["paid_fee"]?.decimal
        self.locked = json["locked"]?.decimal
        self.tradesCount = json["trades_count"]?.int64.map { Int($0) } ?? 0
        self.identifier = json["identifier"]?.text
        self.createdAt = json["created_at"]?.text ?? ""
        var fills: [Fill] = []
        for trade in json["trades"]?.elements ?? [] {
            guard let uuid = trade["uuid"]?.text, let price = trade["price"]?.decimal,
                let volume = trade["volume"]?.decimal
            else { throw RESTJSON.Malformed() }
            fills.append(
                Fill(
                    uuid: uuid, price: price, volume: volume, funds: trade["funds"]?.decimal ?? price * volume,
                    createdAt: trade["created_at"]?.text ?? ""))
        }
        self.fills = fills
    }
}
