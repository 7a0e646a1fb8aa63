import DequeModule
import MarketStreamCore
import UpbitWire

/// A deterministic simulated market: random-walk prices on valid ticks, 30-level books, trades
/// with 64-bit sequential ids, tickers and candles of every interval.
///
/// Not thread-safe: one owner drives it (the server keeps it behind a lock).
public struct MarketSimulator: Sendable {
    /// One market's state.
    public struct Market: Sendable {
        public let code: MarketCode
        public internal(set) var price: ExactDecimal
        public internal(set) var book: [Orderbook.Unit] = []
        var open: ExactDecimal
        var high: ExactDecimal
        var low: ExactDecimal
        var prevClose: ExactDecimal
        var accVolume: ExactDecimal = .zero
        var accPrice: ExactDecimal = .zero
        var accAsk: ExactDecimal = .zero
        var accBid: ExactDecimal = .zero
        var sequence: Int64 = 0
        var lastTrade: Trade?
        var lastTradeTime: Int64 = 0
        var candles: [CandleInterval: (start: Int64, candle: Candle)] = [:]
        /// Closed candles, oldest first (at most 200 per interval).
        public internal(set) var candleHistory: [CandleInterval: [Candle]] = [:]
        /// The latest trades, oldest first (at most 500).
        public internal(set) var recentTrades: Deque<Trade> = []

        /// The current candle of `interval`.
        public func candle(_ interval: CandleInterval) -> Candle? { candles[interval]?.candle }

        /// The tick at the current price.
        public var tick: ExactDecimal { TickSize.tick(for: price, quote: code.quote) }
    }

    /// The simulated markets, in listing order.
    public private(set) var markets: [Market]
    private var index: [MarketCode: Int] = [:]
    private var random: SeededRandom
    /// Whether events come from outside (``absorb(_:)``) instead of ``step(at:)``.
    public let isPublished: Bool
    /// The latest absorbed event of each kind (books under `.orderbook`) and market: what a
    /// subscriber gets as its snapshot when the events come from outside.
    private var absorbed: [AbsorbedKey: MarketEvent] = [:]
    /// Markets whose book came from an absorbed order book (the others get one around their price).
    private var booked: Set<MarketCode> = []

    private struct AbsorbedKey: Hashable {
        var kind: DataKind
        var market: MarketCode

        init(_ kind: DataKind, _ market: MarketCode) {
            self.kind = kind.isOrderbook ? .orderbook : kind
            self.market = market
        }
    }
    /// Levels per book side.
    public let depth = 30

    private static let bases = [
        "BTC", "ETH", "XRP", "SOL", "DOGE", "ADA", "TRX", "AVAX", "LINK", "DOT", "SUI", "NEAR", "APT", "ARB", "ETC",
        "BCH", "XLM", "HBAR", "ATOM", "SAND", "AXS", "MANA", "STX", "IMX", "SEI",
    ]

    /// Markets every simulation has besides its KRW, BTC and USDT listing, for programs that
    /// compare venues (the kimchi premium): `USDT-BTC` and `KRW-USDT`.
    public static let crossVenueMarkets = [MarketCode(validated: "USDT-BTC"), MarketCode(validated: "KRW-USDT")]

    /// Their opening prices: BTC at 79 120 USDT, USDT at 1 450 KRW, so Upbit's 116 539 000 KRW
    /// for a BTC starts 1.58 % above the USDT route.
    static let crossVenueStart: [MarketCode: ExactDecimal] = [
        MarketCode(validated: "USDT-BTC"): ExactDecimal(significand: 7_912_000, exponent: -2),
        MarketCode(validated: "KRW-USDT"): 1_450,
    ]

    /// Creates a market.
    /// - Parameters:
    ///   - seed: The seed; equal seeds give equal markets and event sequences.
    ///   - marketCount: How many markets (quoted in KRW, and a few in BTC and USDT), besides
    ///     ``crossVenueMarkets``.
    ///   - startTime: Epoch milliseconds of the simulation's start.
    public init(seed: UInt64, marketCount: Int, startTime: Int64) {
        random = SeededRandom(seed: seed)
        isPublished = false
        var codes: [MarketCode] = []
        let count = max(1, marketCount)
        for i in 0..<count {
            let base = i < Self.bases.count ? Self.bases[i] : "C\(i)"
            let quote: String
            switch i % 10 {
            case 7 where i > 0: quote = "BTC"
            case 9: quote = "USDT"
            default: quote = "KRW"
            }
            codes.append(MarketCode(validated: "\(quote == "BTC" && base == "BTC" ? "KRW" : quote)-\(base)"))
        }
        if !codes.contains(MarketCode(validated: "KRW-BTC")) { codes[0] = MarketCode(validated: "KRW-BTC") }
        // What a cross-venue program compares: Bitcoin in USDT (Binance's BTCUSDT) and USDT in KRW.
        codes += Self.crossVenueMarkets.filter { !codes.contains($0) }
        markets = []
        list(codes, startTime: startTime)
    }

    /// Creates a market of `codes` whose events come from outside, through ``absorb(_:)`` (a
    /// recording played into the mock exchange): ``step(at:)`` is not used, snapshots are the
    /// latest absorbed events, and prices and books follow them.
    /// - Parameters:
    ///   - codes: The markets; subscriptions to others are refused as unknown.
    ///   - seed: The seed of the books made around a price while no order book was absorbed.
    ///   - startTime: Epoch milliseconds.
    public init(publishing codes: [MarketCode], seed: UInt64 = 1, startTime: Int64) {
        random = SeededRandom(seed: seed)
        isPublished = true
        markets = []
        list(codes, startTime: startTime)
    }

    private mutating func list(_ codes: [MarketCode], startTime: Int64) {
        for code in codes where index[code] == nil {
            let start: ExactDecimal
            switch code.quote {
            case _ where Self.crossVenueStart[code] != nil: start = Self.crossVenueStart[code]!
            case "BTC": start = ExactDecimal(significand: Int128(random.next() % 900_000 + 1_000), exponent: -8)
            case "USDT": start = ExactDecimal(significand: Int128(random.next() % 90_000 + 1_000), exponent: -2)
            default:
                start =
                    code.base == "BTC"
                    ? 116_539_000 : ExactDecimal(significand: Int128(random.next() % 9_000_000 + 100), exponent: -1)
            }
            let price = TickSize.round(start, quote: code.quote)
            var market = Market(code: code, price: price, open: price, high: price, low: price, prevClose: price)
            market.book = Self.makeBook(around: price, quote: code.quote, depth: depth, random: &random)
            index[code] = markets.count
            markets.append(market)
        }
        for i in markets.indices { seedCandles(&markets[i], at: startTime) }
    }

    /// The market with `code`, if simulated.
    public func market(_ code: MarketCode) -> Market? { index[code].map { markets[$0] } }

    /// Whether `code` is simulated.
    public func contains(_ code: MarketCode) -> Bool { index[code] != nil }

    /// Advances one market by one trade and returns the events it caused: a trade, a ticker, an
    /// orderbook and a candle of every interval.
    /// - Parameter now: Epoch milliseconds of the step.
    public mutating func step(at now: Int64) -> [MarketEvent] {
        let i = Int(random.next() % UInt64(markets.count))
        return step(market: i, at: now)
    }

    /// Advances market `i` (see ``step(at:)``).
    public mutating func step(market i: Int, at now: Int64) -> [MarketEvent] {
        var market = takeMarket(i)
        let tick = market.tick
        let move = Int(random.next() % 5) - 2
        var price = market.price + ExactDecimal(move) * tick
        if price <= tick { price = market.price + tick }
        price = TickSize.round(price, quote: market.code.quote)
        let side: TradeSide = random.next() % 2 == 0 ? .bid : .ask
        let volume = ExactDecimal(significand: Int128(random.next() % 50_000_000 + 1), exponent: -8)
        let events = apply(trade: price, volume: volume, side: side, to: &market, at: now)
        markets[i] = market
        return events
    }

    /// Takes an event from outside as the market's own: its price, book or trade move the market,
    /// and it becomes the snapshot of its kind. Events of unknown markets are ignored.
    public mutating func absorb(_ event: MarketEvent) {
        guard let i = index[event.market] else { return }
        absorbed[AbsorbedKey(event.kind, event.market)] = event
        var price: ExactDecimal?
        switch event.payload {
        case .ticker(let ticker):
            price = ticker.price
        case .trade(let trade):
            price = trade.price
            markets[i].lastTrade = trade
            markets[i].lastTradeTime = event.timestamp.milliseconds
            markets[i].recentTrades.append(trade)
            if markets[i].recentTrades.count > 500 { markets[i].recentTrades.removeFirst() }
        case .orderbook(let book) where !book.units.isEmpty:
            markets[i].book = book.units
            booked.insert(event.market)
        default:
            break
        }
        // A book is made around the price only when it moved (it is 60 rows, and tickers repeat).
        guard let price, price > .zero, price != markets[i].price else { return }
        markets[i].price = price
        markets[i].high = max(markets[i].high, price)
        markets[i].low = min(markets[i].low, price)
        if !booked.contains(event.market) {
            markets[i].book = Self.makeBook(around: price, quote: event.market.quote, depth: depth, random: &random)
        }
    }

    /// Records a fill at `price` (paper trading) and returns the public events it caused (none when
    /// the events come from outside: a recording prints no paper trades).
    mutating func recordFill(
        market code: MarketCode, price: ExactDecimal, volume: ExactDecimal, side: TradeSide, at now: Int64
    )
        -> [MarketEvent]
    {
        guard !isPublished, let i = index[code] else { return [] }
        var market = takeMarket(i)
        let events = apply(trade: price, volume: volume, side: side, to: &market, at: now)
        markets[i] = market
        return events
    }

    /// A market moved out of the array, so that its trade history and candles are uniquely owned
    /// and grow in place instead of being copied on every step.
    private mutating func takeMarket(_ i: Int) -> Market {
        let market = markets[i]
        markets[i].recentTrades = []
        markets[i].candleHistory = [:]
        markets[i].candles = [:]
        markets[i].book = []
        return market
    }

    private mutating func apply(
        trade price: ExactDecimal, volume: ExactDecimal, side: TradeSide, to market: inout Market, at now: Int64
    ) -> [MarketEvent] {
        market.price = price
        market.high = max(market.high, price)
        market.low = min(market.low, price)
        market.accVolume = market.accVolume + volume
        market.accPrice = market.accPrice + price * volume
        if side == .ask { market.accAsk = market.accAsk + volume } else { market.accBid = market.accBid + volume }
        market.sequence += 1
        market.book = Self.makeBook(around: price, quote: market.code.quote, depth: depth, random: &random)
        let utc = CivilTime(milliseconds: now)
        let sequentialID = now &* 10_000 &+ market.sequence % 10_000
        let best = market.book[0]
        let trade = UpbitTrade(
            tradePrice: price, tradeVolume: volume, side: side, sequentialID: sequentialID,
            prevClosingPrice: market.prevClose, change: PriceChange(signed: price - market.prevClose),
            changePrice: (price - market.prevClose).magnitude,
            tradeDate: utc.dashedDate, tradeTime: utc.colonTime, tradeTimestamp: UnixTime(milliseconds: now),
            bestAskPrice: best.askPrice, bestAskSize: best.askSize, bestBidPrice: best.bidPrice,
            bestBidSize: best.bidSize
        ).normalised
        market.lastTrade = trade
        market.lastTradeTime = now
        market.recentTrades.append(trade)
        if market.recentTrades.count > 500 { market.recentTrades.removeFirst() }
        var events = [
            event(.trade, market.code, now, .trade(trade)),
            event(.ticker, market.code, now, .ticker(ticker(of: market, at: now))),
            event(.orderbook, market.code, now, .orderbook(orderbook(of: market))),
        ]
        for interval in CandleInterval.allCases {
            let start = now - now % Int64(interval.seconds * 1_000)
            var candle: Candle
            if let current = market.candles[interval], current.start == start {
                candle = current.candle
                candle.high = max(candle.high, price)
                candle.low = min(candle.low, price)
                candle.close = price
                candle.volume = candle.volume + volume
                candle.quoteVolume = candle.quoteVolume + price * volume
            } else {
                if let closed = market.candles[interval]?.candle {
                    market.candleHistory[interval, default: []].append(closed)
                    if market.candleHistory[interval]!.count > 200 { market.candleHistory[interval]!.removeFirst() }
                }
                candle = Self.candle(start: start, price: price, volume: volume)
            }
            market.candles[interval] = (start, candle)
            events.append(event(.candle(interval), market.code, now, .candle(candle)))
        }
        return events
    }

    private func event(_ kind: DataKind, _ market: MarketCode, _ now: Int64, _ payload: MarketPayload) -> MarketEvent {
        MarketEvent(
            exchange: "mock", kind: kind, market: market, stream: .realtime, timestamp: UnixTime(milliseconds: now),
            receivedAt: UnixTime(milliseconds: now), generation: .none, payload: payload)
    }

    /// The current state of `kind` for `code`, as a snapshot event.
    public func snapshot(of kind: DataKind, market code: MarketCode, at now: Int64) -> MarketEvent? {
        if isPublished {
            guard let latest = absorbed[AbsorbedKey(kind, code)] else { return nil }
            return MarketEvent(
                exchange: latest.exchange, kind: latest.kind, market: code, stream: .snapshot,
                timestamp: latest.timestamp, receivedAt: UnixTime(milliseconds: now), generation: .none,
                payload: latest.payload)
        }
        guard let market = market(code) else { return nil }
        let payload: MarketPayload
        switch kind.family {
        case "ticker": payload = .ticker(ticker(of: market, at: now))
        case "orderbook": payload = .orderbook(orderbook(of: market, depth: kind.orderbookDepth?.rawValue ?? depth))
        case "trade":
            guard let trade = market.lastTrade else { return nil }
            payload = .trade(trade)
        default:
            guard let interval = kind.candleInterval, let candle = market.candles[interval]?.candle else { return nil }
            payload = .candle(candle)
        }
        let timestamp = kind.family == "trade" ? market.lastTradeTime : now
        return MarketEvent(
            exchange: "mock", kind: kind, market: code, stream: .snapshot, timestamp: UnixTime(milliseconds: timestamp),
            receivedAt: UnixTime(milliseconds: now), generation: .none, payload: payload)
    }

    func ticker(of market: Market, at now: Int64) -> Ticker {
        // A published market's ticker is the latest one published, as its snapshot is.
        if isPublished, case .ticker(let ticker)? = absorbed[AbsorbedKey(.ticker, market.code)]?.payload {
            return ticker
        }
        let utc = CivilTime(milliseconds: market.lastTradeTime == 0 ? now : market.lastTradeTime)
        let signed = market.price - market.prevClose
        let rate = signed.divided(by: market.prevClose, scale: 10) ?? .zero
        return UpbitTicker(
            tradePrice: market.price, openingPrice: market.open, highPrice: market.high, lowPrice: market.low,
            prevClosingPrice: market.prevClose, change: PriceChange(signed: signed),
            changePrice: signed.magnitude, signedChangePrice: signed, changeRate: rate.magnitude,
            signedChangeRate: rate,
            tradeVolume: market.lastTrade?.size ?? .zero, accTradeVolume: market.accVolume,
            accTradeVolume24h: market.accVolume, accTradePrice: market.accPrice, accTradePrice24h: market.accPrice,
            tradeDate: utc.compactDate, tradeTime: utc.compactTime,
            tradeTimestamp: UnixTime(milliseconds: market.lastTradeTime), askBid: market.lastTrade?.side ?? .bid,
            accAskVolume: market.accAsk, accBidVolume: market.accBid, highest52WeekPrice: market.high * 2,
            highest52WeekDate: "2025-10-06",
            lowest52WeekPrice: TickSize.round(
                market.low.divided(by: 2, scale: 8) ?? market.low, quote: market.code.quote),
            lowest52WeekDate: "2026-06-02", marketState: "ACTIVE", isTradingSuspended: false, delistingDate: nil,
            marketWarning: "NONE"
        ).normalised
    }

    func orderbook(of market: Market, depth: Int? = nil) -> Orderbook {
        let units = Array(market.book.prefix(depth ?? self.depth))
        return Orderbook(
            totalAskSize: units.reduce(.zero) { $0 + $1.askSize },
            totalBidSize: units.reduce(.zero) { $0 + $1.bidSize },
            units: units)
    }

    private static func makeBook(around price: ExactDecimal, quote: Substring, depth: Int, random: inout SeededRandom)
        -> [Orderbook.Unit]
    {
        let tick = TickSize.tick(for: price, quote: quote)
        return (0..<depth).map { level in
            let ask = price + ExactDecimal(level + 1) * tick
            let bid = price - ExactDecimal(level) * tick
            return Orderbook.Unit(
                askPrice: ask, bidPrice: bid > .zero ? bid : tick,
                askSize: ExactDecimal(significand: Int128(random.next() % 200_000_000 + 1), exponent: -8),
                bidSize: ExactDecimal(significand: Int128(random.next() % 200_000_000 + 1), exponent: -8))
        }
    }

    private func seedCandles(_ market: inout Market, at now: Int64) {
        for interval in CandleInterval.allCases {
            let start = now - now % Int64(interval.seconds * 1_000)
            market.candles[interval] = (start, Self.candle(start: start, price: market.price, volume: .zero))
        }
        market.lastTradeTime = now
    }

    private static func candle(start: Int64, price: ExactDecimal, volume: ExactDecimal) -> Candle {
        Candle(
            start: UnixTime(milliseconds: start), open: price, high: price, low: price, close: price, volume: volume,
            quoteVolume: price * volume)
    }
}
