/// A market's current price and 24-hour statistics, as every venue can state them.
///
/// Fields a venue does not send are `nil`; the venue's whole payload is ``native``
/// (``native(as:)``): `UpbitTicker` on Upbit's family, `BinanceTicker` on Binance.
public struct Ticker: Sendable, Hashable, CarriesNativePayload {
    /// The last trade's price.
    public var price: ExactDecimal
    /// The last trade's size, where the venue's ticker carries it.
    public var lastSize: ExactDecimal?
    /// The price the statistics window opened at (Upbit: the day's open, UTC; Binance: 24 h ago).
    public var open: ExactDecimal?
    /// The window's highest price.
    public var high: ExactDecimal?
    /// The window's lowest price.
    public var low: ExactDecimal?
    /// The reference close the change is measured from.
    public var previousClose: ExactDecimal?
    /// The signed price change against ``previousClose`` (or ``open``).
    public var change: ExactDecimal?
    /// The signed change as a fraction (0.0123 is +1.23 %).
    public var changeRate: ExactDecimal?
    /// Base-asset volume over the last 24 hours.
    public var volume24h: ExactDecimal
    /// Quote-asset turnover over the last 24 hours.
    public var quoteVolume24h: ExactDecimal?
    /// The best bid's price, where the venue's ticker carries it (Binance; Upbit's does not).
    public var bestBidPrice: ExactDecimal?
    /// The best bid's size, where the venue's ticker carries it.
    public var bestBidSize: ExactDecimal?
    /// The best ask's price, where the venue's ticker carries it.
    public var bestAskPrice: ExactDecimal?
    /// The best ask's size, where the venue's ticker carries it.
    public var bestAskSize: ExactDecimal?
    /// When the last trade happened (the exchange's time).
    public var time: UnixTime
    /// The venue's own payload, with every field it sent (decoded now when the venue module
    /// deferred it: ``DeferredNativePayload``; keep the value when reading it more than once).
    public var native: (any NativePayload)? {
        get { nativeBox?.value }
        set { nativeBox = newValue.map(NativePayloadBox.init) }
    }
    private var nativeBox: NativePayloadBox?

    /// Creates a ticker; statistics not given are unknown (`nil`), the volume zero.
    public init(
        price: ExactDecimal, lastSize: ExactDecimal? = nil, open: ExactDecimal? = nil, high: ExactDecimal? = nil,
        low: ExactDecimal? = nil,
        previousClose: ExactDecimal? = nil, change: ExactDecimal? = nil, changeRate: ExactDecimal? = nil,
        volume24h: ExactDecimal = .zero, quoteVolume24h: ExactDecimal? = nil, bestBidPrice: ExactDecimal? = nil,
        bestBidSize: ExactDecimal? = nil, bestAskPrice: ExactDecimal? = nil, bestAskSize: ExactDecimal? = nil,
        time: UnixTime = UnixTime(nanoseconds: 0), native: (any NativePayload)? = nil
    ) {
        self.price = price
        self.lastSize = lastSize
        self.open = open
        self.high = high
        self.low = low
        self.previousClose = previousClose
        self.change = change
        self.changeRate = changeRate
        self.volume24h = volume24h
        self.quoteVolume24h = quoteVolume24h
        self.bestBidPrice = bestBidPrice
        self.bestBidSize = bestBidSize
        self.bestAskPrice = bestAskPrice
        self.bestAskSize = bestAskSize
        self.time = time
        self.nativeBox = native.map(NativePayloadBox.init)
    }

    /// This ticker with its venue payload kept as the bytes it came in, decoded when ``native`` is
    /// read (a venue module's decoder: ``DeferredNativePayload``).
    public consuming func withDeferredNative(_ deferred: consuming DeferredNativePayload) -> Ticker {
        nativeBox = NativePayloadBox(deferred: deferred)
        return self
    }
}
