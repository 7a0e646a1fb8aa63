import MarketStreamCore

/// Upbit's ticker with every field it sends (Bithumb's too): the native payload behind a
/// normalised ``MarketStreamCore/Ticker`` from Upbit's family (`ticker.native(as: UpbitTicker.self)`).
public struct UpbitTicker: NativePayload {
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

    /// Creates an Upbit ticker; fields not given default to zero or empty.
    @inlinable
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
        isTradingSuspended: Bool? = nil, delistingDate: String? = nil, marketWarning: String? = nil
    ) {
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

    /// Upbit's fields of `ticker`: its native payload when it came from Upbit's family, otherwise
    /// the fields the normalised ticker has (the rest zero or empty).
    public init(_ ticker: Ticker) {
        if let upbit = ticker.native(as: UpbitTicker.self) {
            self = upbit
            return
        }
        let change = ticker.change ?? .zero
        let rate = ticker.changeRate ?? .zero
        let time = CivilTime(milliseconds: ticker.time.milliseconds)
        self.init(
            tradePrice: ticker.price, openingPrice: ticker.open ?? ticker.price, highPrice: ticker.high ?? ticker.price,
            lowPrice: ticker.low ?? ticker.price, prevClosingPrice: ticker.previousClose ?? ticker.open ?? ticker.price,
            change: PriceChange(signed: change), changePrice: change.magnitude,
            signedChangePrice: change, changeRate: rate.magnitude, signedChangeRate: rate,
            tradeVolume: ticker.lastSize ?? .zero, accTradeVolume: ticker.volume24h,
            accTradeVolume24h: ticker.volume24h, accTradePrice: ticker.quoteVolume24h ?? .zero,
            accTradePrice24h: ticker.quoteVolume24h ?? .zero, tradeDate: time.compactDate,
            tradeTime: time.compactTime, tradeTimestamp: ticker.time)
    }

    /// The normalised ticker, with this payload as its native one.
    public var normalised: Ticker {
        Ticker(
            price: tradePrice, lastSize: tradeVolume, open: openingPrice, high: highPrice, low: lowPrice,
            previousClose: prevClosingPrice,
            change: signedChangePrice, changeRate: signedChangeRate, volume24h: accTradeVolume24h,
            quoteVolume24h: accTradePrice24h, time: tradeTimestamp, native: self)
    }
}
