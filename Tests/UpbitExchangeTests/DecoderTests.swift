import Foundation
import MarketStreamCore
import Testing
import UpbitExchange
import UpbitWire

enum Samples {
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("shared/upbit/samples")

    static func bytes(_ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: directory.appendingPathComponent(name)))
    }

    /// The sample ticker (`ticker.default.json`) with each of `edits` made to its bytes (the text
    /// must be there), decoded: the normalised ticker and Upbit's own.
    static func ticker(editing edits: [(text: String, replacement: [UInt8])]) throws -> (Ticker, UpbitTicker) {
        var bytes = try Self.bytes("ticker.default.json")
        for edit in edits {
            let range = try #require(bytes.firstRange(of: Array(edit.text.utf8)), "\(edit.text)")
            bytes.replaceSubrange(range, with: edit.replacement)
        }
        let event = try #require(try decode(bytes).events.first)
        guard case .ticker(let ticker) = event.payload else {
            throw MarketStreamError(.malformedFrame, "not a ticker: \(event.kind)", exchange: "upbit")
        }
        return (ticker, try #require(ticker.native(as: UpbitTicker.self)))
    }
}

let context = DecodeContext(
    exchange: "upbit", channel: .public, generation: ConnectionGeneration(4),
    receivedAt: UnixTime(milliseconds: 1_790_134_742_200))

func decode(_ bytes: [UInt8]) throws(MarketStreamError) -> DecodedFrame {
    var output = DecodedFrame()
    try UpbitFrameDecoder().decode(bytes, context: context, into: &output)
    return output
}

func decode(_ text: String) throws(MarketStreamError) -> DecodedFrame { try decode(Array(text.utf8)) }

@Suite struct DecoderSampleTests {
    @Test(arguments: ["ticker.default.json", "ticker.simple.json", "ticker-exponent.default.json"])
    func tickers(sample: String) throws {
        let frame = try decode(try Samples.bytes(sample))
        let event = try #require(frame.events.first)
        #expect(frame.events.count == 1 && event.kind == .ticker && event.market.rawValue == "KRW-BTC")
        #expect(event.generation == ConnectionGeneration(4) && event.receivedAt == context.receivedAt)
        #expect(event.timestamp.milliseconds == 1_790_134_742_106 && event.stream == .realtime)
        guard case .ticker(let normalised) = event.payload else { Issue.record("not a ticker"); return }
        let ticker = try #require(normalised.native(as: UpbitTicker.self))
        #expect(normalised.price == ExactDecimal("116539000") && normalised.lastSize == ticker.tradeVolume)
        #expect(normalised.changeRate == ExactDecimal("0.0045426335") && normalised.change == ticker.signedChangePrice)
        #expect(normalised.volume24h == ticker.accTradeVolume24h && normalised.bestBidPrice == nil)
        #expect(normalised.time == ticker.tradeTimestamp && normalised.previousClose == ticker.prevClosingPrice)
        #expect(ticker.tradePrice == ExactDecimal("116539000"))
        #expect(ticker.changeRate == ExactDecimal("0.0045426335"))
        #expect(ticker.accTradePrice24h == ExactDecimal("266503719023.55716"))
        #expect(
            ticker.tradeTimestamp.milliseconds == 1_790_134_742_051 && ticker.askBid == .bid && ticker.change == .rise)
        #expect(ticker.tradeDate == "20260923" && ticker.marketState == "ACTIVE" && ticker.delistingDate == nil)
    }

    @Test(arguments: ["trade.default.json", "trade.simple.json"])
    func trades(sample: String) throws {
        let event = try #require(try decode(try Samples.bytes(sample)).events.first)
        guard case .trade(let normalised) = event.payload else { Issue.record("not a trade"); return }
        let trade = try #require(normalised.native(as: UpbitTrade.self))
        #expect(normalised.id == 17_901_347_420_510_000, "sequential_id survives as Int64 above 2^53")
        #expect(normalised.price == 116_539_000 && normalised.size == ExactDecimal("0.00214535"))
        #expect(normalised.side == .bid && normalised.time == trade.tradeTimestamp)
        #expect(
            trade.tradePrice == 116_539_000 && trade.tradeVolume == ExactDecimal("0.00214535") && trade.side == .bid)
        #expect(trade.bestBidSize == ExactDecimal("0.08120946") && trade.tradeTime == "03:39:02")
    }

    @Test(arguments: ["orderbook.default.json", "orderbook.simple.json"])
    func orderbooks(sample: String) throws {
        let event = try #require(try decode(try Samples.bytes(sample)).events.first)
        guard case .orderbook(let book) = event.payload else { Issue.record("not a book"); return }
        #expect(event.stream == .snapshot && book.units.count == 5 && book.level == .zero)
        #expect(book.units[1].askSize == ExactDecimal("0.0007772") && book.totalBidSize == ExactDecimal("1.22905134"))
    }

    @Test(arguments: ["candle-1m.default.json", "candle-1m.simple.json"])
    func candles(sample: String) throws {
        let event = try #require(try decode(try Samples.bytes(sample)).events.first)
        guard case .candle(let candle) = event.payload else { Issue.record("not a candle"); return }
        #expect(event.kind == .candle(.oneMinute) && candle.startUTC == "2026-09-23T03:39:00")
        #expect(candle.start == UnixTime(milliseconds: 1_790_134_740_000))
        #expect(candle.quoteVolume == ExactDecimal("56079321.33981"))
        let upbit = try #require(candle.native(as: UpbitCandle.self))
        #expect(upbit.startKST == "2026-09-23T12:39:00" && upbit.accTradePrice == candle.quoteVolume)
    }

    @Test(arguments: ["myOrder.default.json", "myOrder.simple.json"])
    func orders(sample: String) throws {
        let event = try #require(try decode(try Samples.bytes(sample)).events.first)
        guard case .myOrder(let order) = event.payload else { Issue.record("not an order"); return }
        #expect(order.uuid == "8f0c7a52-3d0e-4b8b-9c1f-6a2d91e4b7c3" && order.state == "trade" && order.side == .bid)
        #expect(order.averagePrice == 116_500_000 && order.locked == ExactDecimal("699349.5") && order.isMaker == true)
        #expect(order.timeInForce == nil && order.identifier == "bot-20260923-0001" && order.tradesCount == 1)
        #expect(order.orderTimestamp?.milliseconds == 1_790_134_730_112)
    }

    @Test(arguments: ["myAsset.default.json", "myAsset.simple.json"])
    func assets(sample: String) throws {
        let event = try #require(try decode(try Samples.bytes(sample)).events.first)
        guard case .myAsset(let asset) = event.payload else { Issue.record("not an asset"); return }
        #expect(event.market == .account && asset.assets.map(\.currency) == ["KRW", "BTC"])
        #expect(asset.assets[0].balance == ExactDecimal("8334650.5") && asset.assets[1].locked == .zero)
    }

    @Test func controlFrames() throws {
        guard case .status(let status)? = try decode(try Samples.bytes("status-up.json")).controls.first else {
            Issue.record("no status"); return
        }
        #expect(status == "UP")
        guard case .exchangeError(let error)? = try decode(try Samples.bytes("error.json")).controls.first else {
            Issue.record("no error"); return
        }
        // A rejected token is an authentication failure (the router falls back to REST at once).
        #expect(error.code == .authenticationUnavailable && error.message.hasPrefix("INVALID_AUTH"))
        let other = Array(#"{"error":{"name":"INVALID_PARAM","message":"bad"}}"#.utf8)
        guard case .exchangeError(let invalid)? = try decode(other).controls.first else {
            Issue.record("no error"); return
        }
        #expect(invalid.code == .exchangeError && invalid.message == "INVALID_PARAM: bad")
        guard
            case .subscriptionList(let topics)? = try decode(try Samples.bytes("list-subscriptions.json")).controls
                .first
        else { Issue.record("no list"); return }
        #expect(topics.count == 3)
        #expect(
            topics.contains(
                SubscriptionTopic(
                    exchange: "upbit", kind: .orderbook(depth: .fifteen), market: MarketCode(validated: "KRW-BTC"))))
    }
}

@Suite struct DecoderEdgeCaseTests {
    @Test func listFormatsCarryArrays() throws {
        let object = String(decoding: try Samples.bytes("trade.simple.json"), as: UTF8.self)
        let frame = try decode("[\(object),\(object)]")
        #expect(frame.events.count == 2)
        #expect(try decode("[]").events.isEmpty)
    }

    @Test func aTwentyEightDigitBalanceSurvives() throws {
        let text =
            #"{"type":"myAsset","asset_uuid":"a","assets":[{"currency":"KRW","balance":1386929.37231066771348207123,"locked":0}],"asset_timestamp":1,"timestamp":2,"stream_type":"REALTIME"}"#
        guard case .myAsset(let asset) = try decode(text).events.first?.payload else {
            Issue.record("no asset"); return
        }
        #expect(asset.assets[0].balance.description == "1386929.37231066771348207123")
    }

    @Test func zeroPaddedLevelsAreDroppedAndDelistingDatesTakeEveryShape() throws {
        let book =
            #"{"ty":"orderbook","cd":"KRW-XYZ","tms":1,"tas":1,"tbs":1,"obu":[{"ap":2,"bp":1,"as":1,"bs":1},{"ap":0,"bp":0,"as":0,"bs":0}],"st":"REALTIME","lv":0}"#
        guard case .orderbook(let parsed) = try decode(book).events.first?.payload else {
            Issue.record("no book"); return
        }
        #expect(parsed.units.count == 1)
        let ticker = String(decoding: try Samples.bytes("ticker.default.json"), as: UTF8.self)
        for (shape, expected) in [
            (#""delisting_date":"2026-12-01""#, "2026-12-01"),
            (#""delisting_date":{"year":2026,"month":12,"day":1}"#, "2026-12-01"),
        ] {
            let text = ticker.replacingOccurrences(of: #""delisting_date":null"#, with: shape)
            guard case .ticker(let t) = try decode(text).events.first?.payload else {
                Issue.record("no ticker"); return
            }
            #expect(t.native(as: UpbitTicker.self)?.delistingDate == expected)
        }
    }

    @Test(arguments: [
        "",
        "{",
        #"{"type":"ticker","code":"KRW-BTC""#,
        #"{"type":"ticker","code":"KRW-BTC","trade_price":true}"#,
        #"{"type":"unknown","code":"KRW-BTC"}"#,
        #"{"type":"trade","code":"krw-btc","timestamp":1}"#,
        #"{"hello":"world"}"#,
        #"[{"type":"trade"},"#,
        #"{"status":"UP"} trailing"#,
        "not json",
    ])
    func malformedFramesAreTypedErrors(text: String) {
        #expect {
            _ = try decode(text)
        } throws: { error in
            (error as? MarketStreamError)?.code == .malformedFrame
        }
    }

    @Test func missingFieldsAndInvalidUTF8AreTypedErrors() throws {
        let trade = String(decoding: try Samples.bytes("trade.default.json"), as: UTF8.self)
        let missing = trade.replacingOccurrences(of: #""sequential_id":17901347420510000,"#, with: "")
        #expect(throws: MarketStreamError.self) { try decode(missing) }
        var bytes = try Samples.bytes("trade.default.json")
        let code = try #require(bytes.firstRange(of: Array("KRW-BTC".utf8)))
        bytes[code.lowerBound] = 0xFF
        #expect(throws: MarketStreamError.self) { try decode(bytes) }
    }
}
