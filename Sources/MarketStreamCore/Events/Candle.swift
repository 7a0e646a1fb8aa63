/// One candle (OHLCV over an interval), as every venue can state it; the same start may be sent
/// many times while the interval runs, and the last one wins.
///
/// The venue's whole payload is ``native`` (``native(as:)``): `UpbitCandle` on Upbit (with its
/// KST start), `BinanceCandle` on Binance.
public struct Candle: Sendable, Hashable, CarriesNativePayload {
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
    public var native: (any NativePayload)? {
        get { nativeBox?.value }
        set { nativeBox = newValue.map(NativePayloadBox.init) }
    }
    private var nativeBox: NativePayloadBox?

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
        self.nativeBox = native.map(NativePayloadBox.init)
    }

    /// The start as `yyyy-MM-dd'T'HH:mm:ss`, UTC.
    public var startUTC: String { CivilTime(milliseconds: start.milliseconds).isoDateTime }
}
