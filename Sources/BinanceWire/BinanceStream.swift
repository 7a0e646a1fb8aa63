import MarketStreamCore

/// A Binance stream name and the MarketStream topic it carries: `btcusdt@trade` is the trades of
/// `USDT-BTC`, `btcusdt@depth20@100ms` the top of its book, `btcusdt@depth@100ms` the changes
/// to its whole book, `btcusdt@kline_1m` its one-minute candles.
public struct BinanceStream: Hashable, Sendable, CustomStringConvertible {
    /// What a stream carries.
    public enum Kind: Hashable, Sendable {
        /// `@ticker`: the rolling 24-hour statistics, best bid and ask.
        case ticker
        /// `@trade`: each fill.
        case trade
        /// `@depth<levels>@100ms`: the top of the book, a whole snapshot every 100 ms.
        case partialBook(levels: Int)
        /// `@depth@100ms`: the changes to the whole book, with first and last update ids (`U`,
        /// `u`), to apply to a REST snapshot.
        case diffBook
        /// `@kline_<interval>`: the current candle.
        case kline(CandleInterval)
    }

    /// The market.
    public var market: MarketCode
    /// What the stream carries.
    public var kind: Kind

    /// The deepest partial book Binance streams: every book subscription reads this one stream
    /// and the router cuts shallower books from it.
    public static let bookLevels = 20

    /// Creates a stream.
    public init(market: MarketCode, kind: Kind) {
        self.market = market
        self.kind = kind
    }

    /// The stream carrying `topic`, or `nil` for a kind Binance does not stream (private kinds,
    /// handler kinds, a candle interval Binance has not, such as 10 minutes).
    public init?(topic: SubscriptionTopic) {
        let kind: Kind
        switch topic.kind.family {
        case "ticker": kind = .ticker
        case "trade": kind = .trade
        case "orderbook":
            guard topic.kind.orderbookLevel == nil else { return nil }
            // The whole book is kept from the diffs; a limited depth reads the partial book.
            kind = topic.kind.orderbookDepth == nil ? .diffBook : .partialBook(levels: Self.bookLevels)
        default:
            guard let interval = topic.kind.candleInterval, Self.klineName(interval) != nil else { return nil }
            kind = .kline(interval)
        }
        self.init(market: topic.market, kind: kind)
    }

    /// Parses a stream name (`btcusdt@trade`).
    /// - Returns: `nil` for a name that is not one of the streams above or names no known market.
    public init?(name: some StringProtocol) {
        guard let at = name.firstIndex(of: "@"), let market = BinanceSymbol.market(fromSymbol: name[..<at]) else {
            return nil
        }
        let rest = name[name.index(after: at)...]
        let kind: Kind
        switch rest {
        case "ticker": kind = .ticker
        case "trade": kind = .trade
        default:
            if rest.hasPrefix("kline_"), let interval = Self.interval(named: rest.dropFirst("kline_".count)) {
                kind = .kline(interval)
            } else if rest == "depth" || rest == "depth@100ms" {
                kind = .diffBook
            } else if rest.hasPrefix("depth") {
                var digits = rest.dropFirst("depth".count)
                if digits.hasSuffix("@100ms") { digits = digits.dropLast("@100ms".count) }
                guard let levels = Int(digits), [5, 10, 20].contains(levels) else { return nil }
                kind = .partialBook(levels: levels)
            } else {
                return nil
            }
        }
        self.init(market: market, kind: kind)
    }

    /// The stream's name: `btcusdt@trade`, `btcusdt@depth20@100ms`, `btcusdt@kline_1h`.
    public var name: String {
        let symbol = BinanceSymbol.streamSymbol(for: market)
        switch kind {
        case .ticker: return symbol + "@ticker"
        case .trade: return symbol + "@trade"
        case .partialBook(let levels): return "\(symbol)@depth\(levels)@100ms"
        case .diffBook: return symbol + "@depth@100ms"
        case .kline(let interval): return symbol + "@kline_" + (Self.klineName(interval) ?? interval.rawValue)
        }
    }

    public var description: String { name }

    /// The MarketStream kind the stream serves: the whole book for the diffs, the partial book's
    /// depth for a partial book (the router cuts shallower depths from either).
    public var dataKind: DataKind {
        switch kind {
        case .ticker: .ticker
        case .trade: .trade
        case .partialBook(let levels): .orderbook(depth: OrderbookDepth(rawValue: levels))
        case .diffBook: .orderbook
        case .kline(let interval): .candle(interval)
        }
    }

    /// The kind of the events the stream's frames become: a book names no depth, so the router
    /// hands it to every depth subscribed for the market, cut to each.
    public var eventKind: DataKind {
        if case .partialBook = kind { return .orderbook }
        return dataKind
    }

    /// Binance's name of a candle interval (`1m`, `1h`, `4h`), or `nil` when Binance has none.
    public static func klineName(_ interval: CandleInterval) -> String? {
        switch interval {
        case .oneSecond: "1s"
        case .oneMinute: "1m"
        case .threeMinutes: "3m"
        case .fiveMinutes: "5m"
        case .fifteenMinutes: "15m"
        case .thirtyMinutes: "30m"
        case .sixtyMinutes: "1h"
        case .twoHundredFortyMinutes: "4h"
        case .tenMinutes: nil
        }
    }

    /// The interval Binance names `name`.
    public static func interval(named name: some StringProtocol) -> CandleInterval? {
        CandleInterval.allCases.first { klineName($0).map { $0 == name } ?? false }
    }
}
