import MarketStreamCore

/// Upbit's trade with every field it sends (Bithumb's too): the native payload behind a
/// normalised ``MarketStreamCore/Trade`` from Upbit's family (`trade.native(as: UpbitTrade.self)`).
public struct UpbitTrade: NativePayload {
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

    /// Creates an Upbit trade; fields not given default to zero or empty.
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

    /// Upbit's fields of `trade`: its native payload when it came from Upbit's family, otherwise
    /// the fields the normalised trade has (the rest zero or empty).
    public init(_ trade: Trade) {
        if let upbit = trade.native(as: UpbitTrade.self) {
            self = upbit
            return
        }
        let time = CivilTime(milliseconds: trade.time.milliseconds)
        self.init(
            tradePrice: trade.price, tradeVolume: trade.size, side: trade.side, sequentialID: trade.id,
            prevClosingPrice: trade.price, tradeDate: time.dashedDate, tradeTime: time.colonTime,
            tradeTimestamp: trade.time)
    }

    /// The normalised trade, with this payload as its native one.
    public var normalised: Trade {
        Trade(
            id: sequentialID, price: tradePrice, size: tradeVolume, side: side, time: tradeTimestamp,
            native: self)
    }
}
