import BinanceWire
import MarketStreamCore

extension BinanceFrameDecoder {
    /// One stream's `data` object as a payload, with the event's exchange time.
    static func payload(of stream: BinanceStream, _ fields: inout JSONScanner, receivedAt: UnixTime) throws
        -> (MarketPayload, UnixTime)
    {
        switch stream.kind {
        case .ticker: return try ticker(&fields)
        case .trade: return try trade(&fields)
        case .partialBook: return (try book(&fields), receivedAt)
        case .diffBook: throw MarketStreamError(.malformedFrame, "a book change is not a payload")
        case .kline: return try kline(&fields)
        }
    }

    /// The single-byte key of a field (Binance names every stream field with one letter).
    private static func letter(_ key: Range<Int>, _ fields: borrowing JSONScanner) -> UInt8? {
        key.count == 1 ? fields.bytes[key.lowerBound] : nil
    }

    private static func decimal(_ value: Range<Int>, _ fields: borrowing JSONScanner, _ name: String)
        throws(MarketStreamError) -> ExactDecimal
    {
        guard let decimal = fields.decimal(value) else {
            throw MarketStreamError(.malformedFrame, "field \(name) is not a decimal")
        }
        return decimal
    }

    private static func integer(_ value: Range<Int>, _ fields: borrowing JSONScanner, _ name: String)
        throws(MarketStreamError) -> Int64
    {
        guard let integer = fields.int64(value) else {
            throw MarketStreamError(.malformedFrame, "field \(name) is not an integer")
        }
        return integer
    }

    fileprivate static func missing(_ names: String) -> MarketStreamError {
        MarketStreamError(.malformedFrame, "missing \(names)")
    }

    /// A 24-hour ticker's fields, as the stream (one letter each) or REST (names) spells them.
    struct TickerFields {
        var time, tradeCount, openTime, closeTime: Int64?
        var last, open, high, low, previous, change, percent, lastSize, weightedAverage: ExactDecimal?
        var volume, quoteVolume, bid, bidSize, ask, askSize: ExactDecimal?

        /// The ticker, with its time.
        func ticker() throws(MarketStreamError) -> (MarketPayload, UnixTime) {
            guard let time, let last else { throw missing("the time or the last price") }
            let native = BinanceTicker(
                weightedAveragePrice: weightedAverage, tradeCount: tradeCount,
                openTime: openTime.map(UnixTime.init(milliseconds:)),
                closeTime: closeTime.map(UnixTime.init(milliseconds:)))
            let ticker = Ticker(
                price: last, lastSize: lastSize, open: open, high: high, low: low, previousClose: previous,
                change: change,
                changeRate: percent.map { $0 * ExactDecimal(significand: 1, exponent: -2) },
                volume24h: volume ?? .zero, quoteVolume24h: quoteVolume, bestBidPrice: bid, bestBidSize: bidSize,
                bestAskPrice: ask, bestAskSize: askSize, time: UnixTime(milliseconds: time), native: native)
            return (.ticker(ticker), UnixTime(milliseconds: time))
        }
    }

    /// `24hrTicker`: last price `c`, open/high/low `o h l`, previous close `x`, change `p` and
    /// percent `P`, last quantity `Q`, 24 h volume `v` and quote volume `q`, best bid `b B` and ask `a A`,
    /// average price `w`, trade count `n`, window `O`–`C`.
    static func ticker(_ fields: inout JSONScanner) throws -> (MarketPayload, UnixTime) {
        var t = TickerFields()
        try fields.forEachMember { key, kind, value, fields throws(MarketStreamError) in
            guard let letter = letter(key, fields) else { return }
            switch letter {
            case UInt8(ascii: "E"): t.time = try integer(value, fields, "E")
            case UInt8(ascii: "n"): t.tradeCount = try integer(value, fields, "n")
            case UInt8(ascii: "O"): t.openTime = try integer(value, fields, "O")
            case UInt8(ascii: "C"): t.closeTime = try integer(value, fields, "C")
            default: break
            }
            guard kind == .string else { return }
            switch letter {
            case UInt8(ascii: "c"): t.last = try decimal(value, fields, "c")
            case UInt8(ascii: "o"): t.open = try decimal(value, fields, "o")
            case UInt8(ascii: "h"): t.high = try decimal(value, fields, "h")
            case UInt8(ascii: "l"): t.low = try decimal(value, fields, "l")
            case UInt8(ascii: "x"): t.previous = try decimal(value, fields, "x")
            case UInt8(ascii: "p"): t.change = try decimal(value, fields, "p")
            case UInt8(ascii: "P"): t.percent = try decimal(value, fields, "P")
            case UInt8(ascii: "Q"): t.lastSize = try decimal(value, fields, "Q")
            case UInt8(ascii: "w"): t.weightedAverage = try decimal(value, fields, "w")
            case UInt8(ascii: "v"): t.volume = try decimal(value, fields, "v")
            case UInt8(ascii: "q"): t.quoteVolume = try decimal(value, fields, "q")
            case UInt8(ascii: "b"): t.bid = try decimal(value, fields, "b")
            case UInt8(ascii: "B"): t.bidSize = try decimal(value, fields, "B")
            case UInt8(ascii: "a"): t.ask = try decimal(value, fields, "a")
            case UInt8(ascii: "A"): t.askSize = try decimal(value, fields, "A")
            default: break
            }
        }
        return try t.ticker()
    }

    /// `GET /api/v3/ticker/24hr`: the same ticker with REST's field names, at `closeTime`.
    static func restTicker(_ fields: inout JSONScanner) throws -> (MarketPayload, UnixTime) {
        var t = TickerFields()
        try fields.forEachMember { key, kind, value, fields throws(MarketStreamError) in
            if fields.equals(key, "closeTime") {
                t.time = try integer(value, fields, "closeTime")
                t.closeTime = t.time
                return
            } else if fields.equals(key, "openTime") {
                t.openTime = try integer(value, fields, "openTime")
                return
            } else if fields.equals(key, "count") {
                t.tradeCount = try integer(value, fields, "count")
                return
            }
            guard kind == .string else { return }
            let names: [(StaticString, WritableKeyPath<TickerFields, ExactDecimal?>)] = [
                ("lastPrice", \.last), ("openPrice", \.open), ("highPrice", \.high), ("lowPrice", \.low),
                ("prevClosePrice", \.previous), ("priceChange", \.change), ("priceChangePercent", \.percent),
                ("lastQty", \.lastSize), ("volume", \.volume), ("quoteVolume", \.quoteVolume), ("bidPrice", \.bid),
                ("bidQty", \.bidSize), ("askPrice", \.ask), ("askQty", \.askSize),
                ("weightedAvgPrice", \.weightedAverage),
            ]
            for (name, field) in names where fields.equals(key, name) {
                t[keyPath: field] = try decimal(value, fields, "\(name)")
                return
            }
        }
        return try t.ticker()
    }

    /// One trade of `GET /api/v3/trades`: `id`, `price`, `qty`, `time`, `isBuyerMaker`.
    static func restTrade(_ fields: inout JSONScanner) throws -> (MarketPayload, UnixTime) {
        var time: Int64?
        var id: Int64?
        var price: ExactDecimal?
        var size: ExactDecimal?
        var buyerIsMaker: Bool?
        try fields.forEachMember { key, kind, value, fields throws(MarketStreamError) in
            if fields.equals(key, "id") {
                id = try integer(value, fields, "id")
            } else if fields.equals(key, "price") {
                price = try decimal(value, fields, "price")
            } else if fields.equals(key, "qty") {
                size = try decimal(value, fields, "qty")
            } else if fields.equals(key, "time") {
                time = try integer(value, fields, "time")
            } else if fields.equals(key, "isBuyerMaker") {
                buyerIsMaker = kind == .true ? true : kind == .false ? false : nil
            }
        }
        guard let time, let id, let price, let size, let buyerIsMaker else {
            throw missing("id, price, qty, time or isBuyerMaker")
        }
        let trade = Trade(
            id: id, price: price, size: size, side: buyerIsMaker ? .ask : .bid, time: UnixTime(milliseconds: time),
            native: BinanceTrade(buyerIsMaker: buyerIsMaker))
        return (.trade(trade), UnixTime(milliseconds: time))
    }

    /// `trade`: id `t`, price `p`, quantity `q`, trade time `T`, buyer-is-maker `m`.
    static func trade(_ fields: inout JSONScanner) throws -> (MarketPayload, UnixTime) {
        var time: Int64?
        var tradeTime: Int64?
        var id: Int64?
        var price: ExactDecimal?
        var size: ExactDecimal?
        var buyerIsMaker: Bool?
        try fields.forEachMember { key, kind, value, fields throws(MarketStreamError) in
            switch letter(key, fields) {
            case UInt8(ascii: "E"): time = try integer(value, fields, "E")
            case UInt8(ascii: "T"): tradeTime = try integer(value, fields, "T")
            case UInt8(ascii: "t"): id = try integer(value, fields, "t")
            case UInt8(ascii: "p"): price = try decimal(value, fields, "p")
            case UInt8(ascii: "q"): size = try decimal(value, fields, "q")
            case UInt8(ascii: "m"): buyerIsMaker = kind == .true ? true : kind == .false ? false : nil
            default: break
            }
        }
        guard let time, let id, let price, let size, let buyerIsMaker else { throw missing("E, t, p, q or m") }
        // A maker buyer means the seller took liquidity: the aggressor sold.
        let trade = Trade(
            id: id, price: price, size: size, side: buyerIsMaker ? .ask : .bid,
            time: UnixTime(milliseconds: tradeTime ?? time),
            native: BinanceTrade(buyerIsMaker: buyerIsMaker, eventTime: UnixTime(milliseconds: time)))
        return (.trade(trade), UnixTime(milliseconds: time))
    }

    /// The fields of any book object: a partial book or REST snapshot (`lastUpdateId`, `bids`,
    /// `asks`) or a change (`E`, `U`, `u`, `b`, `a`).
    struct BookFields {
        var updateID: Int64?
        var firstUpdateID: Int64?
        var lastUpdateID: Int64?
        var time: Int64?
        var bids: [SequencedOrderbook.Level]?
        var asks: [SequencedOrderbook.Level]?
    }

    static func bookFields(_ fields: inout JSONScanner) throws -> BookFields {
        var book = BookFields()
        try fields.forEachMember { key, kind, value, fields throws(MarketStreamError) in
            if fields.equals(key, "lastUpdateId") {
                book.updateID = try integer(value, fields, "lastUpdateId")
            } else if fields.equals(key, "bids") || fields.equals(key, "b") {
                book.bids = try levels(value, fields)
            } else if fields.equals(key, "asks") || fields.equals(key, "a") {
                book.asks = try levels(value, fields)
            } else if fields.equals(key, "U") {
                book.firstUpdateID = try integer(value, fields, "U")
            } else if fields.equals(key, "u") {
                book.lastUpdateID = try integer(value, fields, "u")
            } else if fields.equals(key, "E") {
                book.time = try integer(value, fields, "E")
            }
        }
        return book
    }

    /// A partial book: `lastUpdateId`, `bids` and `asks` as `[["price","size"],…]`, best first.
    static func book(_ fields: inout JSONScanner) throws -> MarketPayload {
        let book = try bookFields(&fields)
        guard let bids = book.bids, let asks = book.asks else { throw missing("bids or asks") }
        return .orderbook(
            SequencedOrderbook(updateID: book.updateID ?? 0, bids: bids, asks: asks).orderbook(levels: nil)
                .withSequence(book.updateID))
    }

    /// A `depthUpdate`: the changes between update ids `U` and `u`, at time `E`.
    static func change(_ fields: inout JSONScanner) throws -> (SequencedOrderbook.Change, UnixTime) {
        let book = try bookFields(&fields)
        guard let first = book.firstUpdateID, let last = book.lastUpdateID, first <= last, let time = book.time,
            let bids = book.bids, let asks = book.asks
        else { throw missing("E, U, u, b or a") }
        return (
            SequencedOrderbook.Change(firstUpdateID: first, lastUpdateID: last, bids: bids, asks: asks),
            UnixTime(milliseconds: time)
        )
    }

    private static func levels(_ range: Range<Int>, _ fields: borrowing JSONScanner) throws(MarketStreamError)
        -> [SequencedOrderbook.Level]
    {
        var items = JSONScanner(UnsafeBufferPointer(rebasing: fields.bytes[range]))
        var levels: [SequencedOrderbook.Level] = []
        do {
            try items.expect(UInt8(ascii: "["))
            if try items.consume(UInt8(ascii: "]")) { return [] }
            repeat {
                try items.expect(UInt8(ascii: "["))
                let price = items.decimal(try items.stringRange())
                try items.expect(UInt8(ascii: ","))
                let size = items.decimal(try items.stringRange())
                try items.expect(UInt8(ascii: "]"))
                guard let price, let size, !price.isNegative, !size.isNegative else { throw JSONScanner.Failure() }
                levels.append(SequencedOrderbook.Level(price: price, size: size))
            } while try items.consume(UInt8(ascii: ","))
            try items.expect(UInt8(ascii: "]"))
        } catch {
            throw MarketStreamError(.malformedFrame, "a book level that is not [\"price\",\"size\"]")
        }
        return levels
    }

    /// `kline`: `k` holds start `t`, `o h l c`, volume `v` and quote volume `q`.
    static func kline(_ fields: inout JSONScanner) throws -> (MarketPayload, UnixTime) {
        var time: Int64?
        var candle: Candle?
        try fields.forEachMember { key, kind, value, fields throws(MarketStreamError) in
            if letter(key, fields) == UInt8(ascii: "E") {
                time = try integer(value, fields, "E")
            } else if letter(key, fields) == UInt8(ascii: "k"), kind == .object {
                var inner = JSONScanner(UnsafeBufferPointer(rebasing: fields.bytes[value]))
                do {
                    candle = try klineFields(&inner)
                } catch let error as MarketStreamError {
                    throw error
                } catch {
                    throw MarketStreamError(.malformedFrame, "unreadable k")
                }
            }
        }
        guard let time, let candle else { throw missing("E or k") }
        return (.candle(candle), UnixTime(milliseconds: time))
    }

    private static func klineFields(_ fields: inout JSONScanner) throws -> Candle {
        var start: Int64?
        var native = BinanceCandle()
        var values: [UInt8: ExactDecimal] = [:]
        try fields.forEachMember { key, kind, value, fields throws(MarketStreamError) in
            guard let letter = letter(key, fields) else { return }
            if letter == UInt8(ascii: "t") {
                start = try integer(value, fields, "k.t")
            } else if letter == UInt8(ascii: "T") {
                native.closeTime = UnixTime(milliseconds: try integer(value, fields, "k.T"))
            } else if letter == UInt8(ascii: "n") {
                native.tradeCount = try integer(value, fields, "k.n")
            } else if letter == UInt8(ascii: "x") {
                native.isClosed = kind == .true ? true : kind == .false ? false : nil
            } else if kind == .string, Self.klineLetters.contains(letter) {
                values[letter] = try decimal(value, fields, "k." + String(UnicodeScalar(letter)))
            }
        }
        guard let start, let open = values[UInt8(ascii: "o")], let high = values[UInt8(ascii: "h")],
            let low = values[UInt8(ascii: "l")], let close = values[UInt8(ascii: "c")]
        else { throw missing("k.t, k.o, k.h, k.l or k.c") }
        return Candle(
            start: UnixTime(milliseconds: start), open: open, high: high, low: low, close: close,
            volume: values[UInt8(ascii: "v")] ?? .zero, quoteVolume: values[UInt8(ascii: "q")] ?? .zero,
            native: native)
    }

    private static let klineLetters: Set<UInt8> = Set("ohlcvq".utf8)

    /// `GET /api/v3/klines`: a list of `[openTime, "open", "high", "low", "close", "volume",
    /// closeTime, "quoteVolume", …]`.
    static func restKlines(_ scanner: inout JSONScanner) throws -> [Candle] {
        var candles: [Candle] = []
        try scanner.expect(UInt8(ascii: "["))
        if try scanner.consume(UInt8(ascii: "]")) { return [] }
        repeat {
            try scanner.expect(UInt8(ascii: "["))
            var values: [Range<Int>] = []
            if try !scanner.consume(UInt8(ascii: "]")) {
                repeat { values.append(try scanner.value().1) } while try scanner.consume(UInt8(ascii: ","))
                try scanner.expect(UInt8(ascii: "]"))
            }
            guard values.count >= 8 else { throw missing("a kline's eight first values") }
            let start = try integer(values[0], scanner, "openTime")
            let native = BinanceCandle(
                closeTime: UnixTime(milliseconds: try integer(values[6], scanner, "closeTime")),
                tradeCount: values.count > 8 ? scanner.int64(values[8]) : nil)
            candles.append(
                Candle(
                    start: UnixTime(milliseconds: start), open: try decimal(values[1], scanner, "open"),
                    high: try decimal(values[2], scanner, "high"), low: try decimal(values[3], scanner, "low"),
                    close: try decimal(values[4], scanner, "close"), volume: try decimal(values[5], scanner, "volume"),
                    quoteVolume: try decimal(values[7], scanner, "quoteVolume"), native: native))
        } while try scanner.consume(UInt8(ascii: ","))
        try scanner.expect(UInt8(ascii: "]"))
        return candles
    }
}

extension Orderbook {
    /// This book with `sequence` set.
    fileprivate func withSequence(_ sequence: Int64?) -> Orderbook {
        var book = self
        book.sequence = sequence
        return book
    }
}
