import MarketStreamCore

/// One input event as a Swift plugin sees it: the fields that cross the plugin ABI, exact.
public struct PluginEvent: Sendable {
    /// The typed data of a ``PluginEvent``.
    public enum Payload: Sendable {
        case ticker(PluginTicker)
        case trade(PluginTrade)
        case orderbook(Orderbook)
        case candle(PluginCandle)
    }

    /// The full kind, such as `orderbook.15` or `candle.1m`.
    public let kind: DataKind
    /// Snapshot or realtime.
    public let stream: StreamKind
    /// The exchange's timestamp.
    public let timestamp: UnixTime
    /// When MarketStream received the frame.
    public let receivedAt: UnixTime
    /// The data.
    public let payload: Payload

    /// Creates an event (for tests of a plugin type).
    public init(kind: DataKind, stream: StreamKind, timestamp: UnixTime, receivedAt: UnixTime, payload: Payload) {
        self.kind = kind
        self.stream = stream
        self.timestamp = timestamp
        self.receivedAt = receivedAt
        self.payload = payload
    }
}

/// The ticker fields a plugin receives.
public struct PluginTicker: Sendable, Hashable {
    public var tradePrice: ExactDecimal
    public var openingPrice: ExactDecimal
    public var highPrice: ExactDecimal
    public var lowPrice: ExactDecimal
    public var prevClosingPrice: ExactDecimal
    public var signedChangeRate: ExactDecimal
    public var tradeVolume: ExactDecimal
    public var accTradeVolume24h: ExactDecimal
    public var accTradePrice24h: ExactDecimal
    public var tradeTimestamp: UnixTime

    /// Creates a ticker.
    public init(
        tradePrice: ExactDecimal, openingPrice: ExactDecimal, highPrice: ExactDecimal, lowPrice: ExactDecimal,
        prevClosingPrice: ExactDecimal, signedChangeRate: ExactDecimal, tradeVolume: ExactDecimal,
        accTradeVolume24h: ExactDecimal, accTradePrice24h: ExactDecimal, tradeTimestamp: UnixTime
    ) {
        self.tradePrice = tradePrice
        self.openingPrice = openingPrice
        self.highPrice = highPrice
        self.lowPrice = lowPrice
        self.prevClosingPrice = prevClosingPrice
        self.signedChangeRate = signedChangeRate
        self.tradeVolume = tradeVolume
        self.accTradeVolume24h = accTradeVolume24h
        self.accTradePrice24h = accTradePrice24h
        self.tradeTimestamp = tradeTimestamp
    }
}

/// The trade fields a plugin receives.
public struct PluginTrade: Sendable, Hashable {
    public var price: ExactDecimal
    public var volume: ExactDecimal
    /// The taker's side: `.bid` is a buy, `.ask` a sell.
    public var side: TradeSide
    public var tradeTimestamp: UnixTime
    public var sequentialID: Int64

    /// Creates a trade.
    public init(
        price: ExactDecimal, volume: ExactDecimal, side: TradeSide, tradeTimestamp: UnixTime, sequentialID: Int64
    ) {
        self.price = price
        self.volume = volume
        self.side = side
        self.tradeTimestamp = tradeTimestamp
        self.sequentialID = sequentialID
    }
}

/// The candle fields a plugin receives.
public struct PluginCandle: Sendable, Hashable {
    public var openingPrice: ExactDecimal
    public var highPrice: ExactDecimal
    public var lowPrice: ExactDecimal
    /// The close.
    public var tradePrice: ExactDecimal
    public var accTradeVolume: ExactDecimal
    public var accTradePrice: ExactDecimal

    /// Creates a candle.
    public init(
        openingPrice: ExactDecimal, highPrice: ExactDecimal, lowPrice: ExactDecimal, tradePrice: ExactDecimal,
        accTradeVolume: ExactDecimal, accTradePrice: ExactDecimal
    ) {
        self.openingPrice = openingPrice
        self.highPrice = highPrice
        self.lowPrice = lowPrice
        self.tradePrice = tradePrice
        self.accTradeVolume = accTradeVolume
        self.accTradePrice = accTradePrice
    }
}
