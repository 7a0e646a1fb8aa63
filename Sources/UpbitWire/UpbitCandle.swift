import MarketStreamCore

/// Upbit's candle with every field it sends: the native payload behind a normalised
/// ``MarketStreamCore/Candle`` from Upbit (`candle.native(as: UpbitCandle.self)`).
public struct UpbitCandle: NativePayload {
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

    /// Creates an Upbit candle.
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

    /// Upbit's fields of `candle`: its native payload when it came from Upbit, otherwise the
    /// normalised fields with the start written in UTC and KST.
    public init(_ candle: Candle) {
        if let upbit = candle.native(as: UpbitCandle.self) {
            self = upbit
            return
        }
        self.init(
            startUTC: candle.startUTC,
            startKST: CivilTime(milliseconds: candle.start.milliseconds, offsetHours: 9).isoDateTime,
            openingPrice: candle.open, highPrice: candle.high, lowPrice: candle.low, tradePrice: candle.close,
            accTradeVolume: candle.volume, accTradePrice: candle.quoteVolume)
    }

    /// The normalised candle, with this payload as its native one; `nil` when the UTC start is
    /// not a `yyyy-MM-dd'T'HH:mm:ss` time.
    public var normalised: Candle? {
        guard let start = CivilTime.epochMilliseconds(isoDateTime: startUTC) else { return nil }
        return Candle(
            start: UnixTime(milliseconds: start), open: openingPrice, high: highPrice, low: lowPrice,
            close: tradePrice, volume: accTradeVolume, quoteVolume: accTradePrice, native: self)
    }
}
