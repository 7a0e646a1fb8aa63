/// An update of one of the account's orders (Upbit `myOrder`).
public struct MyOrder: Sendable, Hashable {
    public var uuid: String
    public var side: TradeSide
    /// `limit`, `price`, `market` or `best`.
    public var orderType: String
    /// `wait`, `watch`, `trade`, `done`, `cancel` or `prevented`.
    public var state: String
    public var tradeUUID: String?
    /// The order price, or the fill price when `state` is `trade`.
    public var price: ExactDecimal?
    public var averagePrice: ExactDecimal?
    /// The order volume, or the fill volume when `state` is `trade`.
    public var volume: ExactDecimal?
    public var remainingVolume: ExactDecimal?
    public var executedVolume: ExactDecimal?
    public var tradesCount: Int
    public var reservedFee: ExactDecimal?
    public var remainingFee: ExactDecimal?
    public var paidFee: ExactDecimal?
    public var locked: ExactDecimal?
    public var executedFunds: ExactDecimal?
    public var timeInForce: String?
    public var tradeFee: ExactDecimal?
    public var isMaker: Bool?
    public var identifier: String?
    public var tradeTimestamp: UnixTime?
    public var orderTimestamp: UnixTime?

    /// Creates an order update; optional fields default to `nil`.
    public init(
        uuid: String, side: TradeSide, orderType: String, state: String, tradeUUID: String? = nil,
        price: ExactDecimal? = nil, averagePrice: ExactDecimal? = nil, volume: ExactDecimal? = nil,
        remainingVolume: ExactDecimal? = nil, executedVolume: ExactDecimal? = nil, tradesCount: Int = 0,
        reservedFee: ExactDecimal? = nil, remainingFee: ExactDecimal? = nil, paidFee: ExactDecimal? = nil,
        locked: ExactDecimal? = nil, executedFunds: ExactDecimal? = nil, timeInForce: String? = nil,
        tradeFee: ExactDecimal? = nil, isMaker: Bool? = nil, identifier: String? = nil,
        tradeTimestamp: UnixTime? = nil, orderTimestamp: UnixTime? = nil
    ) {
        self.uuid = uuid
        self.side = side
        self.orderType = orderType
        self.state = state
        self.tradeUUID = tradeUUID
        self.price = price
        self.averagePrice = averagePrice
        self.volume = volume
        self.remainingVolume = remainingVolume
        self.executedVolume = executedVolume
        self.tradesCount = tradesCount
        self.reservedFee = reservedFee
        self.remainingFee = remainingFee
        self.paidFee = paidFee
        self.locked = locked
        self.executedFunds = executedFunds
        self.timeInForce = timeInForce
        self.tradeFee = tradeFee
        self.isMaker = isMaker
        self.identifier = identifier
        self.tradeTimestamp = tradeTimestamp
        self.orderTimestamp = orderTimestamp
    }
}
