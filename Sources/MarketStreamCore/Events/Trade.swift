/// One fill, as every venue can state it.
///
/// The venue's whole payload is ``native`` (``native(as:)``): `UpbitTrade` on Upbit's family
/// (with the previous close and the best bid and ask), `BinanceTrade` on Binance.
public struct Trade: Sendable, Hashable, CarriesNativePayload {
    /// The venue's trade id, increasing per market; exceeds 2^53, so never pass it through a `Double`.
    public var id: Int64
    /// The fill price.
    public var price: ExactDecimal
    /// The filled size, in the base asset.
    public var size: ExactDecimal
    /// The aggressor: ``TradeSide/bid`` when a buyer took an ask, ``TradeSide/ask`` when a seller
    /// hit a bid.
    public var side: TradeSide
    /// When the trade happened (the exchange's time).
    public var time: UnixTime
    /// The venue's own payload, with every field it sent (decoded now when the venue module
    /// deferred it: ``DeferredNativePayload``; keep the value when reading it more than once).
    public var native: (any NativePayload)? {
        get { nativeBox?.value }
        set { nativeBox = newValue.map(NativePayloadBox.init) }
    }
    private var nativeBox: NativePayloadBox?

    /// Creates a trade.
    public init(
        id: Int64, price: ExactDecimal, size: ExactDecimal, side: TradeSide,
        time: UnixTime = UnixTime(nanoseconds: 0), native: (any NativePayload)? = nil
    ) {
        self.id = id
        self.price = price
        self.size = size
        self.side = side
        self.time = time
        self.nativeBox = native.map(NativePayloadBox.init)
    }

    /// This trade with its venue payload kept as the bytes it came in, decoded when ``native`` is
    /// read (a venue module's decoder: ``DeferredNativePayload``).
    public consuming func withDeferredNative(_ deferred: consuming DeferredNativePayload) -> Trade {
        nativeBox = NativePayloadBox(deferred: deferred)
        return self
    }
}
