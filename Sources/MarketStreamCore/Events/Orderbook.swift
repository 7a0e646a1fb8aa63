/// A whole order book (Upbit `orderbook`; every frame is a full book, not a delta).
public struct Orderbook: Sendable, Hashable {
    /// One row: the i-th best ask and the i-th best bid.
    public struct Unit: Sendable, Hashable {
        public var askPrice: ExactDecimal
        public var bidPrice: ExactDecimal
        public var askSize: ExactDecimal
        public var bidSize: ExactDecimal

        /// Creates a row.
        public init(askPrice: ExactDecimal, bidPrice: ExactDecimal, askSize: ExactDecimal, bidSize: ExactDecimal) {
            self.askPrice = askPrice
            self.bidPrice = bidPrice
            self.askSize = askSize
            self.bidSize = bidSize
        }
    }

    public var totalAskSize: ExactDecimal
    public var totalBidSize: ExactDecimal
    /// Rows from the best prices outward; zero-padded rows are not included.
    public var units: [Unit]
    /// The price grouping unit; zero for none.
    public var level: ExactDecimal
    /// The venue's update id of the book, where it has one (Binance's `lastUpdateId`); `nil` on Upbit.
    public var sequence: Int64?

    /// Creates a book.
    public init(
        totalAskSize: ExactDecimal, totalBidSize: ExactDecimal, units: [Unit], level: ExactDecimal = .zero,
        sequence: Int64? = nil
    ) {
        self.sequence = sequence
        self.totalAskSize = totalAskSize
        self.totalBidSize = totalBidSize
        self.units = units
        self.level = level
    }
}
