import BinanceExchange
import BinanceWire
import Foundation
import Logging
import MarketStreamCore
import Testing

let quietLogger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
let context = DecodeContext(
    exchange: "binance", channel: .public, generation: ConnectionGeneration(3),
    receivedAt: UnixTime(milliseconds: 1_672_515_782_200))
let bnbbtc = MarketCode(validated: "BTC-BNB")

/// Binance's documented payloads (`Tests/VenueSamples/binance`, see its README).
enum BinanceSamples {
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("VenueSamples/binance")

    static func text(_ name: String) throws -> String {
        String(decoding: try Data(contentsOf: directory.appendingPathComponent(name)), as: UTF8.self)
    }
}

/// A module whose REST base is a closed loopback port: a book change starts a snapshot fetch,
/// which fails at once without leaving the machine.
let offline = try! BinanceExchange(configuration: .init(baseURL: "ws://127.0.0.1:1"), logger: quietLogger)

func decodeFrame(_ text: String) throws(MarketStreamError) -> DecodedFrame {
    let binance = offline
    var output = DecodedFrame()
    try binance.decode(.text(text), context: context, into: &output)
    return output
}

@Suite struct BinanceDecoderTests {
    @Test func aTradeKeepsItsIdPriceSizeAndAggressor() throws {
        let event = try #require(try decodeFrame(try BinanceSamples.text("trade.json")).events.first)
        #expect(event.exchange == "binance" && event.kind == .trade && event.market == bnbbtc)
        #expect(
            event.timestamp == UnixTime(milliseconds: 1_672_515_782_136) && event.generation == ConnectionGeneration(3))
        guard case .trade(let trade) = event.payload else { Issue.record("not a trade"); return }
        #expect(trade.id == 12_345 && trade.price == ExactDecimal("0.001")! && trade.size == 100)
        #expect(trade.side == .ask, "the buyer was the maker: the seller took the book")
        #expect(CivilTime(milliseconds: trade.time.milliseconds).isoDateTime == "2022-12-31T19:43:02")
        #expect(trade.native(as: BinanceTrade.self) == BinanceTrade(buyerIsMaker: true, eventTime: event.timestamp))
    }

    @Test func aTickerCarriesTheNormalisedFieldsAndTheBestBidAndAsk() throws {
        let event = try #require(try decodeFrame(try BinanceSamples.text("ticker.json")).events.first)
        guard case .ticker(let ticker) = event.payload else { Issue.record("not a ticker"); return }
        #expect(ticker.price == ExactDecimal("0.0025")! && ticker.open == ExactDecimal("0.0010")!)
        #expect(ticker.high == ExactDecimal("0.0025")! && ticker.low == ExactDecimal("0.0010")!)
        #expect(ticker.previousClose == ExactDecimal("0.0009")!)
        #expect(ticker.change == ExactDecimal("0.0015")! && ticker.changeRate == ExactDecimal("2.5")!)
        #expect(ticker.volume24h == 10_000 && ticker.quoteVolume24h == 18 && ticker.lastSize == 10)
        let native = try #require(ticker.native(as: BinanceTicker.self))
        #expect(native.weightedAveragePrice == ExactDecimal("0.0018")! && native.tradeCount == 18_151)
        #expect(native.openTime == UnixTime(milliseconds: 0) && native.closeTime == UnixTime(milliseconds: 86_400_000))
        #expect(ticker.bestBidPrice == ExactDecimal("0.0024")! && ticker.bestBidSize == 10)
        #expect(ticker.bestAskPrice == ExactDecimal("0.0026")! && ticker.bestAskSize == 100)
    }

    @Test func aPartialBookIsASnapshotWithItsUpdateID() throws {
        let event = try #require(try decodeFrame(try BinanceSamples.text("depth5.json")).events.first)
        #expect(event.kind == .orderbook && event.timestamp == context.receivedAt, "partial books carry no time")
        guard case .orderbook(let book) = event.payload else { Issue.record("not a book"); return }
        #expect(book.sequence == 160 && book.units.count == 1)
        #expect(
            book.units[0]
                == Orderbook.Unit(
                    askPrice: ExactDecimal("0.0026")!, bidPrice: ExactDecimal("0.0024")!, askSize: 100, bidSize: 10))
        #expect(book.totalAskSize == 100 && book.totalBidSize == 10)
    }

    @Test func aKlineIsACandleOfItsInterval() throws {
        let event = try #require(try decodeFrame(try BinanceSamples.text("kline.json")).events.first)
        #expect(event.kind == .candle(.oneMinute))
        guard case .candle(let candle) = event.payload else { Issue.record("not a candle"); return }
        #expect(candle.startUTC == "2022-12-31T19:43:00" && candle.start == UnixTime(milliseconds: 1_672_515_780_000))
        #expect(candle.open == ExactDecimal("0.0010")! && candle.close == ExactDecimal("0.0020")!)
        #expect(candle.volume == 1_000 && candle.quoteVolume == 1)
        let native = try #require(candle.native(as: BinanceCandle.self))
        #expect(native.closeTime == UnixTime(milliseconds: 1_672_515_839_999) && native.tradeCount == 100)
        #expect(native.isClosed == false)
    }

    @Test func aBookChangeWaitsForItsSnapshot() throws {
        let output = try decodeFrame(try BinanceSamples.text("depthUpdate.json"))
        #expect(output.events.isEmpty && output.controls.isEmpty, "nothing until a snapshot makes the book whole")
    }

    @Test func acknowledgementsListsAndErrorsAreControlMessages() throws {
        let ack = try decodeFrame(#"{"result":null,"id":7}"#)
        guard case .acknowledged(let id) = ack.controls.first else { Issue.record("no ack"); return }
        #expect(id == 7 && ack.events.isEmpty)
        let list = try decodeFrame(
            #"{"result":["bnbbtc@trade","btcusdt@depth20@100ms","ethusdt@depth@100ms","nonsense"],"id":0}"#)
        guard case .subscriptionList(let topics) = list.controls.first else { Issue.record("no list"); return }
        #expect(
            Set(topics) == [
                SubscriptionTopic(exchange: "binance", kind: .trade, market: bnbbtc),
                SubscriptionTopic(
                    exchange: "binance", kind: .orderbook(depth: .twenty), market: MarketCode(validated: "USDT-BTC")),
                SubscriptionTopic(exchange: "binance", kind: .orderbook, market: MarketCode(validated: "USDT-ETH")),
            ])
        let error = try decodeFrame(#"{"error":{"code":2,"msg":"Invalid request: unknown stream"},"id":4}"#)
        guard case .exchangeError(let failure) = error.controls.first else { Issue.record("no error"); return }
        #expect(failure.code == .exchangeError && failure.message == "Binance error 2: Invalid request: unknown stream")
    }

    @Test(
        arguments: [
            "not json", "[]", "{}", #"{"stream":"bnbbtc@trade"}"#, #"{"stream":"bnbbtc@bogus","data":{}}"#,
            #"{"stream":"zzz@trade","data":{}}"#, #"{"stream":"bnbbtc@trade","data":{"e":"trade","E":1}}"#,
            #"{"stream":"bnbbtc@trade","data":{"E":1,"t":1,"p":"x","q":"1","m":true}}"#,
            #"{"stream":"bnbbtc@depth5","data":{"bids":[["1"]],"asks":[]}}"#,
            #"{"stream":"bnbbtc@ticker","data":{"E":1,"c":"NaN"}}"#, #"{"result":null}"#,
            #"{"stream":"bnbbtc@kline_1m","data":{"E":1,"k":{"t":1,"o":"1"}}}"#,
            #"{"stream":"bnbbtc@depth@100ms","data":{"E":1,"U":9,"u":8,"b":[],"a":[]}}"#,
            #"{"stream":"bnbbtc@depth@100ms","data":{"E":1,"u":8,"b":[],"a":[]}}"#,
            #"{"stream":"bnbbtc@depth@100ms","data":{"E":1,"U":1,"u":2,"b":[["-1","2"]],"a":[]}}"#,
        ])
    func badFramesAreTypedErrors(text: String) {
        #expect(throws: MarketStreamError.self) { _ = try decodeFrame(text) }
        do {
            _ = try decodeFrame(text)
        } catch {
            #expect(error.code == .malformedFrame && error.exchange == "binance")
        }
    }
}

@Suite struct BinanceNamingTests {
    @Test(
        arguments: [
            ("BTCUSDT", "USDT-BTC"), ("btcusdt", "USDT-BTC"), ("ETHBTC", "BTC-ETH"), ("BTCFDUSD", "FDUSD-BTC"),
            ("USDTTRY", "TRY-USDT"), ("PAXGUSDT", "USDT-PAXG"), ("BTCKRW", "KRW-BTC"),
        ])
    func symbolsSplitAtTheLongestKnownQuote(symbol: String, code: String) {
        #expect(BinanceSymbol.market(fromSymbol: symbol) == MarketCode(validated: code))
        #expect(BinanceSymbol.symbol(for: MarketCode(validated: code)) == symbol.uppercased())
    }

    @Test(arguments: ["USDT", "XYZ123", "", "BTC-USDT"]) func unknownSymbolsAreNil(symbol: String) {
        #expect(BinanceSymbol.market(fromSymbol: symbol) == nil)
    }

    @Test func streamNamesRoundTrip() {
        let btc = MarketCode(validated: "USDT-BTC")
        for (kind, name) in [
            (DataKind.ticker, "btcusdt@ticker"), (.trade, "btcusdt@trade"), (.orderbook, "btcusdt@depth@100ms"),
            (.orderbook(depth: .five), "btcusdt@depth20@100ms"), (.candle(.sixtyMinutes), "btcusdt@kline_1h"),
            (.candle(.twoHundredFortyMinutes), "btcusdt@kline_4h"), (.candle(.oneSecond), "btcusdt@kline_1s"),
        ] {
            let stream = BinanceStream(topic: SubscriptionTopic(exchange: "binance", kind: kind, market: btc))
            #expect(stream?.name == name)
            #expect(BinanceStream(name: name)?.market == btc)
        }
        #expect(
            BinanceStream(topic: SubscriptionTopic(exchange: "binance", kind: .candle(.tenMinutes), market: btc)) == nil
        )
        #expect(BinanceStream(name: "btcusdt@depth5")?.kind == .partialBook(levels: 5))
        #expect(BinanceStream(name: "btcusdt@depth7@100ms") == nil)
    }
}
