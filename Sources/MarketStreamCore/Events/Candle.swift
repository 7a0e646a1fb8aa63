/// One candle (OHLCV over an interval), as every venue can state it; the same start may be sent
/// many times while the interval runs, and the last one wins.
///
/// The venue's whole payload is ``native`` (``native(as:)``): `UpbitCandle` on Upbit (with its
/// KST start), `BinanceCandle` on Binance.
public struct Candle: Sendable, Hashable {
    /// When the interval started.
    public var start: UnixTime
    public var open: ExactDecimal
    public var high: ExactDecimal
    public var low: ExactDecimal
    /// The last price in the interval so far.
    public var close: ExactDecimal
    /// Base-asset volume in the interval.
    public var volume: ExactDecimal
    /// Quote-asset turnover in the interval.
    public var quoteVolume: ExactDecimal
    /// The venue's own payload, with every field it sent.
    public var native: (any NativePayload)?

    /// Creates a candle.
    public init(
        start: UnixTime, open: ExactDecimal, high: ExactDecimal, low: ExactDecimal, close: ExactDecimal,
        volume: ExactDecimal, quoteVolume: ExactDecimal, native: (any NativePayload)? = nil
    ) {
        self.start = start
        self.open = open
        self.high = high
        self.low = low
        self.close = close
        self.volume = volume
        self.quoteVolume = quoteVolume
        self.native = native
    }

    /// The start as `yyyy-MM-dd'T'HH:mm:ss`, UTC.
    public var startUTC: String { CivilTime(milliseconds: start.milliseconds).isoDateTime }

    /// The venue's own payload, if it is a `T`.
    public func native<T: NativePayload>(as type: T.Type) -> T? { native as? T }

    public static func == (lhs: Candle, rhs: Candle) -> Bool {
        lhs.start == rhs.start && lhs.open == rhs.open && lhs.high == rhs.high && lhs.low == rhs.low
            && lhs.close == rhs.close && lhs.volume == rhs.volume && lhs.quoteVolume == rhs.quoteVolume
            && nativePayloadsEqual(lhs.native, rhs.native)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(start)
        hasher.combine(close)
        hasher.combine(volume)
        if let native { hasher.combine(native) }
    }
}
