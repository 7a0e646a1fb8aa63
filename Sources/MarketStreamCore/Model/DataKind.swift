/// A kind of market data: ticker, trade, orderbook, candles, the account's orders and assets,
/// or a kind that a data-type handler defines.
///
/// Built-in kinds are static members (`.ticker`, `.orderbook(depth: .fifteen)`,
/// `.candle(.oneMinute)`); handler-defined kinds use ``custom(_:)``. The text form
/// (``description``, ``init(parsing:)``) is the one the CLI and the JSON output use:
/// `ticker`, `trade`, `orderbook`, `orderbook.15`, `candle.1m`, `myOrder`, `myAsset`.
public struct DataKind: Hashable, Sendable, CustomStringConvertible {
    fileprivate enum Base: Hashable, Sendable {
        case ticker, trade, orderbook(OrderbookDepth?, ExactDecimal?), candle(CandleInterval)
        case myOrder, myAsset, custom(String)
    }

    fileprivate let base: Base

    fileprivate init(base: Base) { self.base = base }

    /// Current price and 24-hour statistics per market.
    public static let ticker = DataKind(base: .ticker)
    /// Individual fills.
    public static let trade = DataKind(base: .trade)
    /// The whole order book at the exchange's default depth.
    public static let orderbook = DataKind(base: .orderbook(nil, nil))
    /// The account's order updates (private channel).
    public static let myOrder = DataKind(base: .myOrder)
    /// The account's balance updates (private channel).
    public static let myAsset = DataKind(base: .myAsset)

    /// The order book limited to `depth` levels, optionally grouped by price `level`.
    /// - Parameters:
    ///   - depth: How many levels per side, or `nil` for the venue's default book.
    ///   - level: A price grouping unit, where the venue offers one (Upbit's KRW markets), or `nil`.
    public static func orderbook(depth: OrderbookDepth?, level: ExactDecimal? = nil) -> DataKind {
        DataKind(base: .orderbook(depth, level.flatMap { $0.isZero ? nil : $0 }))
    }

    /// Candles of `interval`.
    public static func candle(_ interval: CandleInterval) -> DataKind { DataKind(base: .candle(interval)) }

    /// A kind produced by a data-type handler, such as `spread` or `vwap`.
    /// - Parameter name: 1–64 characters: letters, digits, `.`, `_` or `-`, starting with a letter.
    /// - Throws: ``MarketStreamError/Code/unknownDataKind`` for a malformed name or one that
    ///   spells a built-in kind.
    public static func custom(_ name: String) throws(MarketStreamError) -> DataKind {
        guard Self.isValidCustomName(name), (try? builtIn(name)) == nil else {
            throw MarketStreamError(.unknownDataKind, "invalid data kind name '\(name)'")
        }
        return DataKind(base: .custom(name))
    }

    /// Parses the text form used by the CLI and JSON output.
    ///
    /// Built-in names are recognised first; any other well-formed name becomes a custom kind,
    /// which a router accepts only if a registered handler produces it.
    /// - Parameter text: For example `ticker`, `orderbook.15`, `candle.1m`, `spread`.
    /// - Throws: ``MarketStreamError/Code/unknownDataKind``.
    public init(parsing text: String) throws(MarketStreamError) {
        if let kind = try Self.builtIn(text) {
            self = kind
        } else {
            self = try Self.custom(text)
        }
    }

    /// A built-in kind for `text`, `nil` when the name is not a built-in family, or an error when it
    /// is a built-in family with an invalid parameter (`orderbook.7`, `candle.2m`).
    private static func builtIn(_ text: String) throws(MarketStreamError) -> DataKind? {
        switch text {
        case "ticker": return .ticker
        case "trade": return .trade
        case "orderbook": return .orderbook
        case "myOrder": return .myOrder
        case "myAsset": return .myAsset
        default: break
        }
        if text.hasPrefix("orderbook.") {
            let suffix = text.dropFirst("orderbook.".count)
            guard let number = Int(suffix), let depth = OrderbookDepth(rawValue: number) else {
                throw MarketStreamError(
                    .unknownDataKind, "unknown orderbook depth in '\(text)': use a number of levels, like orderbook.15")
            }
            return .orderbook(depth: depth)
        }
        if text.hasPrefix("candle.") {
            guard let interval = CandleInterval(rawValue: String(text.dropFirst("candle.".count))) else {
                let known = CandleInterval.allCases.map(\.rawValue).joined(separator: ", ")
                throw MarketStreamError(.unknownDataKind, "unknown candle interval in '\(text)': use one of \(known)")
            }
            return .candle(interval)
        }
        return nil
    }

    private static func isValidCustomName(_ name: String) -> Bool {
        guard let first = name.utf8.first, (1...64).contains(name.utf8.count) else { return false }
        let isLetter = { (b: UInt8) in (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(b | 0x20) }
        guard isLetter(first) else { return false }
        return name.utf8.allSatisfy { b in
            isLetter(b) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(b) || b == UInt8(ascii: ".")
                || b == UInt8(ascii: "_") || b == UInt8(ascii: "-")
        }
    }

    /// The kind's family name without parameters: `ticker`, `orderbook`, `candle.1m`, `spread`.
    public var family: String {
        switch base {
        case .ticker: "ticker"
        case .trade: "trade"
        case .orderbook: "orderbook"
        case .candle(let interval): "candle.\(interval.rawValue)"
        case .myOrder: "myOrder"
        case .myAsset: "myAsset"
        case .custom(let name): name
        }
    }

    /// Whether this kind is the account's own data, which needs an authenticated channel.
    public var isPrivate: Bool { base == .myOrder || base == .myAsset }

    /// Whether a data-type handler, not the exchange, produces this kind.
    public var isCustom: Bool {
        if case .custom = base { return true }
        return false
    }

    /// Whether this is an orderbook kind (at any depth).
    public var isOrderbook: Bool {
        if case .orderbook = base { return true }
        return false
    }

    /// Whether the kind concerns the whole account rather than one market (`myAsset`).
    public var isAccountWide: Bool { base == .myAsset }

    /// The orderbook depth, for orderbook kinds with one.
    public var orderbookDepth: OrderbookDepth? {
        if case .orderbook(let depth, _) = base { return depth }
        return nil
    }

    /// The orderbook grouping level, for orderbook kinds with one.
    public var orderbookLevel: ExactDecimal? {
        if case .orderbook(_, let level) = base { return level }
        return nil
    }

    /// The candle interval, for candle kinds.
    public var candleInterval: CandleInterval? {
        if case .candle(let interval) = base { return interval }
        return nil
    }

    /// The text form: `ticker`, `orderbook.15`, `candle.1m`, …; a level appears as `@level`.
    public var description: String {
        switch base {
        case .orderbook(let depth, let level):
            var text = depth.map { "orderbook.\($0.rawValue)" } ?? "orderbook"
            if let level { text += "@\(level)" }
            return text
        default:
            return family
        }
    }

    /// Every built-in kind a public exchange channel usually carries.
    public static var publicBuiltIns: [DataKind] {
        [.ticker, .trade, .orderbook] + CandleInterval.allCases.map { .candle($0) }
    }
}

/// How many levels per side an orderbook subscription asks for.
///
/// Any count from 1 to 5 000 can be written; which counts a venue serves is the venue module's
/// to declare (``ExchangeChannel/orderbookDepths``): Upbit 1, 5, 15 and 30, Bithumb 1, 5 and 15,
/// Binance 5, 10 and 20. The router rejects any other count at subscribe time.
public struct OrderbookDepth: RawRepresentable, Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Levels per side.
    public let rawValue: Int

    /// A depth of `rawValue` levels per side; `nil` outside 1...5 000.
    public init?(rawValue: Int) {
        guard (1...5_000).contains(rawValue) else { return nil }
        self.rawValue = rawValue
    }

    private init(levels: Int) { rawValue = levels }

    /// The best level only.
    public static let one = OrderbookDepth(levels: 1)
    /// Five levels per side.
    public static let five = OrderbookDepth(levels: 5)
    /// Ten levels per side.
    public static let ten = OrderbookDepth(levels: 10)
    /// Fifteen levels per side.
    public static let fifteen = OrderbookDepth(levels: 15)
    /// Twenty levels per side.
    public static let twenty = OrderbookDepth(levels: 20)
    /// Thirty levels per side.
    public static let thirty = OrderbookDepth(levels: 30)

    public var description: String { String(rawValue) }

    public static func < (lhs: OrderbookDepth, rhs: OrderbookDepth) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// A candle interval.
public enum CandleInterval: String, Sendable, Hashable, CaseIterable {
    case oneSecond = "1s"
    case oneMinute = "1m"
    case threeMinutes = "3m"
    case fiveMinutes = "5m"
    case tenMinutes = "10m"
    case fifteenMinutes = "15m"
    case thirtyMinutes = "30m"
    case sixtyMinutes = "60m"
    case twoHundredFortyMinutes = "240m"

    /// The interval's length in seconds.
    public var seconds: Int {
        switch self {
        case .oneSecond: 1
        case .oneMinute: 60
        case .threeMinutes: 180
        case .fiveMinutes: 300
        case .tenMinutes: 600
        case .fifteenMinutes: 900
        case .thirtyMinutes: 1_800
        case .sixtyMinutes: 3_600
        case .twoHundredFortyMinutes: 14_400
        }
    }
}
