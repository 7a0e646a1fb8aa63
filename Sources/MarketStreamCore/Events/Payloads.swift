/// Which side of the book initiated a trade.
public enum TradeSide: String, Sendable, Hashable {
    /// A sell (Upbit `ASK`).
    case ask = "ASK"
    /// A buy (Upbit `BID`).
    case bid = "BID"
}

/// Direction of the price against the previous close.
public enum PriceChange: String, Sendable, Hashable {
    case rise = "RISE", even = "EVEN", fall = "FALL"
}

/// Current price and statistics of a market (Upbit `ticker`).
public struct Ticker: Sendable, Hashable {
    public var openingPrice: ExactDecimal
    public var highPrice: ExactDecimal
    public var lowPrice: ExactDecimal
    public var tradePrice: ExactDecimal
    public var prevClosingPrice: ExactDecimal
    public var change: PriceChange
    public var changePrice: ExactDecimal
    public var signedChangePrice: ExactDecimal
    public var changeRate: ExactDecimal
    public var signedChangeRate: ExactDecimal
    public var tradeVolume: ExactDecimal
    public var accTradeVolume: ExactDecimal
    public var accTradeVolume24h: ExactDecimal
    public var accTradePrice: ExactDecimal
    public var accTradePrice24h: ExactDecimal
    /// `yyyyMMdd`, UTC.
    public var tradeDate: String
    /// `HHmmss`, UTC.
    public var tradeTime: String
    public var tradeTimestamp: UnixTime
    public var askBid: TradeSide
    public var accAskVolume: ExactDecimal
    public var accBidVolume: ExactDecimal
    public var highest52WeekPrice: ExactDecimal
    public var highest52WeekDate: String
    public var lowest52WeekPrice: ExactDecimal
    public var lowest52WeekDate: String
    public var marketState: String
    public var isTradingSuspended: Bool?
    public var delistingDate: String?
    public var marketWarning: String?
    /// The best bid's price, where the venue's ticker carries it (Binance; Upbit's does not).
    public var bestBidPrice: ExactDecimal?
    /// The best bid's size, where the venue's ticker carries it.
    public var bestBidSize: ExactDecimal?
    /// The best ask's price, where the venue's ticker carries it.
    public var bestAskPrice: ExactDecimal?
    /// The best ask's size, where the venue's ticker carries it.
    public var bestAskSize: ExactDecimal?

    /// Creates a ticker; fields not given default to zero or empty.
    public init(
        tradePrice: ExactDecimal, openingPrice: ExactDecimal = .zero, highPrice: ExactDecimal = .zero,
        lowPrice: ExactDecimal = .zero, prevClosingPrice: ExactDecimal = .zero, change: PriceChange = .even,
        changePrice: ExactDecimal = .zero, signedChangePrice: ExactDecimal = .zero, changeRate: ExactDecimal = .zero,
        signedChangeRate: ExactDecimal = .zero, tradeVolume: ExactDecimal = .zero,
        accTradeVolume: ExactDecimal = .zero, accTradeVolume24h: ExactDecimal = .zero,
        accTradePrice: ExactDecimal = .zero, accTradePrice24h: ExactDecimal = .zero, tradeDate: String = "",
        tradeTime: String = "", tradeTimestamp: UnixTime = UnixTime(nanoseconds: 0), askBid: TradeSide = .bid,
        accAskVolume: ExactDecimal = .zero, accBidVolume: ExactDecimal = .zero,
        highest52WeekPrice: ExactDecimal = .zero, highest52WeekDate: String = "",
        lowest52WeekPrice: ExactDecimal = .zero, lowest52WeekDate: String = "", marketState: String = "ACTIVE",
        isTradingSuspended: Bool? = nil, delistingDate: String? = nil, marketWarning: String? = nil,
        bestBidPrice: ExactDecimal? = nil, bestBidSize: ExactDecimal? = nil, bestAskPrice: ExactDecimal? = nil,
        bestAskSize: ExactDecimal? = nil
    ) {
        self.bestBidPrice = bestBidPrice
        self.bestBidSize = bestBidSize
        self.bestAskPrice = bestAskPrice
        self.bestAskSize = bestAskSize
        self.openingPrice = openingPrice
        self.highPrice = highPrice
        self.lowPrice = lowPrice
        self.tradePrice = tradePrice
        self.prevClosingPrice = prevClosingPrice
        self.change = change
        self.changePrice = changePrice
        self.signedChangePrice = signedChangePrice
        self.changeRate = changeRate
        self.signedChangeRate = signedChangeRate
        self.tradeVolume = tradeVolume
        self.accTradeVolume = accTradeVolume
        self.accTradeVolume24h = accTradeVolume24h
        self.accTradePrice = accTradePrice
        self.accTradePrice24h = accTradePrice24h
        self.tradeDate = tradeDate
        self.tradeTime = tradeTime
        self.tradeTimestamp = tradeTimestamp
        self.askBid = askBid
        self.accAskVolume = accAskVolume
        self.accBidVolume = accBidVolume
        self.highest52WeekPrice = highest52WeekPrice
        self.highest52WeekDate = highest52WeekDate
        self.lowest52WeekPrice = lowest52WeekPrice
        self.lowest52WeekDate = lowest52WeekDate
        self.marketState = marketState
        self.isTradingSuspended = isTradingSuspended
        self.delistingDate = delistingDate
        self.marketWarning = marketWarning
    }
}

/// One fill (Upbit `trade`).
public struct Trade: Sendable, Hashable {
    public var tradePrice: ExactDecimal
    public var tradeVolume: ExactDecimal
    public var side: TradeSide
    public var prevClosingPrice: ExactDecimal
    public var change: PriceChange
    public var changePrice: ExactDecimal
    /// `yyyy-MM-dd`, UTC.
    public var tradeDate: String
    /// `HH:mm:ss`, UTC.
    public var tradeTime: String
    public var tradeTimestamp: UnixTime
    /// The exchange's trade id; exceeds 2^53, so never pass it through a `Double`.
    public var sequentialID: Int64
    public var bestAskPrice: ExactDecimal?
    public var bestAskSize: ExactDecimal?
    public var bestBidPrice: ExactDecimal?
    public var bestBidSize: ExactDecimal?

    /// Creates a trade; fields not given default to zero or empty.
    public init(
        tradePrice: ExactDecimal, tradeVolume: ExactDecimal, side: TradeSide, sequentialID: Int64,
        prevClosingPrice: ExactDecimal = .zero, change: PriceChange = .even, changePrice: ExactDecimal = .zero,
        tradeDate: String = "", tradeTime: String = "", tradeTimestamp: UnixTime = UnixTime(nanoseconds: 0),
        bestAskPrice: ExactDecimal? = nil, bestAskSize: ExactDecimal? = nil, bestBidPrice: ExactDecimal? = nil,
        bestBidSize: ExactDecimal? = nil
    ) {
        self.tradePrice = tradePrice
        self.tradeVolume = tradeVolume
        self.side = side
        self.sequentialID = sequentialID
        self.prevClosingPrice = prevClosingPrice
        self.change = change
        self.changePrice = changePrice
        self.tradeDate = tradeDate
        self.tradeTime = tradeTime
        self.tradeTimestamp = tradeTimestamp
        self.bestAskPrice = bestAskPrice
        self.bestAskSize = bestAskSize
        self.bestBidPrice = bestBidPrice
        self.bestBidSize = bestBidSize
    }
}

/// A whole order book (Upbit `orderbook`; every frame is a full book, not a delta).
public struct Orderbook: Sendable, Hashable {
    /// One row: the i-th best ask and the i-th best bid.
    public struct Unit: Sendable, Hashable {
        public var askPrice: ExactDecimal
        public var bidPrice: ExactDecimal
        public var askSize: ExactDecimal
        public var bidSize: ExactDecimal

        /// Creates a row.
        public init(askPrice: ExactDecimal, bidPrice: ExactDecimal, askSize: ExactDecimal, bidSize: ExactDecimal) {
            self.askPrice = askPrice
            self.bidPrice = bidPrice
            self.askSize = askSize
            self.bidSize = bidSize
        }
    }

    public var totalAskSize: ExactDecimal
    public var totalBidSize: ExactDecimal
    /// Rows from the best prices outward; zero-padded rows are not included.
    public var units: [Unit]
    /// The price grouping unit; zero for none.
    public var level: ExactDecimal
    /// The venue's update id of the book, where it has one (Binance's `lastUpdateId`); `nil` on Upbit.
    public var sequence: Int64?

    /// Creates a book.
    public init(
        totalAskSize: ExactDecimal, totalBidSize: ExactDecimal, units: [Unit], level: ExactDecimal = .zero,
        sequence: Int64? = nil
    ) {
        self.sequence = sequence
        self.totalAskSize = totalAskSize
        self.totalBidSize = totalBidSize
        self.units = units
        self.level = level
    }
}

/// One candle (Upbit `candle.*`); the same start time may be sent many times, the last one wins.
public struct Candle: Sendable, Hashable {
    /// Candle start, `yyyy-MM-dd'T'HH:mm:ss` UTC.
    public var startUTC: String
    /// Candle start, `yyyy-MM-dd'T'HH:mm:ss` KST.
    public var startKST: String
    public var openingPrice: ExactDecimal
    public var highPrice: ExactDecimal
    public var lowPrice: ExactDecimal
    public var tradePrice: ExactDecimal
    public var accTradeVolume: ExactDecimal
    public var accTradePrice: ExactDecimal

    /// Creates a candle.
    public init(
        startUTC: String, startKST: String, openingPrice: ExactDecimal, highPrice: ExactDecimal,
        lowPrice: ExactDecimal, tradePrice: ExactDecimal, accTradeVolume: ExactDecimal, accTradePrice: ExactDecimal
    ) {
        self.startUTC = startUTC
        self.startKST = startKST
        self.openingPrice = openingPrice
        self.highPrice = highPrice
        self.lowPrice = lowPrice
        self.tradePrice = tradePrice
        self.accTradeVolume = accTradeVolume
        self.accTradePrice = accTradePrice
    }
}

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

/// Changed balances of the account (Upbit `myAsset`).
public struct MyAsset: Sendable, Hashable {
    /// One currency's balance.
    public struct Balance: Sendable, Hashable {
        public var currency: String
        /// Available balance (exact; Upbit sends more digits than a `Double` holds).
        public var balance: ExactDecimal
        /// Balance locked in open orders.
        public var locked: ExactDecimal

        /// Creates a balance.
        public init(currency: String, balance: ExactDecimal, locked: ExactDecimal) {
            self.currency = currency
            self.balance = balance
            self.locked = locked
        }
    }

    public var assetUUID: String
    public var assets: [Balance]
    public var assetTimestamp: UnixTime

    /// Creates a balance update.
    public init(assetUUID: String, assets: [Balance], assetTimestamp: UnixTime) {
        self.assetUUID = assetUUID
        self.assets = assets
        self.assetTimestamp = assetTimestamp
    }
}

/// The output of a data-type handler: named exact fields in a fixed order (`spread`, `mid`, …).
public struct CustomPayload: Sendable, Hashable, CustomStringConvertible {
    /// The fields in output order.
    public var fields: [(name: String, value: ExactDecimal)] {
        get { zip(names, values).map { ($0, $1) } }
        set {
            names = newValue.map(\.name)
            values = newValue.map(\.value)
        }
    }

    /// The field names in output order.
    public private(set) var names: [String]
    /// The field values, parallel to ``names``.
    public private(set) var values: [ExactDecimal]

    /// Creates a payload from named fields.
    public init(_ fields: [(name: String, value: ExactDecimal)]) {
        names = fields.map(\.name)
        values = fields.map(\.value)
    }

    /// Creates a payload from parallel arrays of names and values (no intermediate tuples).
    /// - Precondition: `names.count == values.count`.
    public init(names: [String], values: [ExactDecimal]) {
        precondition(names.count == values.count, "a CustomPayload needs one value per name")
        self.names = names
        self.values = values
    }

    /// The value of the field called `name`.
    public subscript(name: String) -> ExactDecimal? {
        names.firstIndex(of: name).map { values[$0] }
    }

    public var description: String { zip(names, values).map { "\($0)=\($1)" }.joined(separator: " ") }
}
