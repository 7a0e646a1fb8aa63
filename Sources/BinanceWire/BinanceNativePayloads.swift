import MarketStreamCore

/// Binance's 24-hour ticker fields that the normalised ``MarketStreamCore/Ticker`` has no place
/// for: its native payload on Binance (`ticker.native(as: BinanceTicker.self)`).
public struct BinanceTicker: NativePayload {
    /// The window's volume-weighted average price (`w`, REST `weightedAvgPrice`).
    public var weightedAveragePrice: ExactDecimal?
    /// Trades in the window (`n`, REST `count`).
    public var tradeCount: Int64?
    /// When the 24-hour window opened (`O`, REST `openTime`).
    public var openTime: UnixTime?
    /// When the 24-hour window closes (`C`, REST `closeTime`).
    public var closeTime: UnixTime?

    /// Creates Binance's ticker fields.
    public init(
        weightedAveragePrice: ExactDecimal? = nil, tradeCount: Int64? = nil,
        openTime: UnixTime? = nil, closeTime: UnixTime? = nil
    ) {
        self.weightedAveragePrice = weightedAveragePrice
        self.tradeCount = tradeCount
        self.openTime = openTime
        self.closeTime = closeTime
    }
}

/// Binance's trade fields that the normalised ``MarketStreamCore/Trade`` has no place for: its
/// native payload on Binance (`trade.native(as: BinanceTrade.self)`).
public struct BinanceTrade: NativePayload {
    /// Whether the buyer was the maker (`m`): the aggressor sold.
    public var buyerIsMaker: Bool
    /// When Binance sent the event (`E`; the trade's own time is ``MarketStreamCore/Trade/time``).
    public var eventTime: UnixTime?

    /// Creates Binance's trade fields.
    public init(buyerIsMaker: Bool, eventTime: UnixTime? = nil) {
        self.buyerIsMaker = buyerIsMaker
        self.eventTime = eventTime
    }
}

/// Binance's kline fields that the normalised ``MarketStreamCore/Candle`` has no place for: its
/// native payload on Binance (`candle.native(as: BinanceCandle.self)`).
public struct BinanceCandle: NativePayload {
    /// When the interval closes (`T`, REST's seventh value).
    public var closeTime: UnixTime?
    /// Trades in the interval (`n`, REST's ninth value).
    public var tradeCount: Int64?
    /// Whether the interval has closed (`x`; a REST kline does not say).
    public var isClosed: Bool?

    /// Creates Binance's kline fields.
    public init(closeTime: UnixTime? = nil, tradeCount: Int64? = nil, isClosed: Bool? = nil) {
        self.closeTime = closeTime
        self.tradeCount = tradeCount
        self.isClosed = isClosed
    }
}
