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

    /// The direction of a signed change.
    public init(signed change: ExactDecimal) {
        self = change.isZero ? .even : change.isNegative ? .fall : .rise
    }
}
