import Foundation
import MarketStreamCore
import Testing
import UpbitExchange

/// What a forwarding router (a gateway's) learns of an Upbit frame without decoding it: the topic
/// of a ticker or trade, from its first two members, and nothing for any other frame.
@Suite struct ForwardedTopicTests {
    let decoder = UpbitFrameDecoder()

    func topic(_ text: String) -> SubscriptionTopic? {
        Array(text.utf8).withUnsafeBufferPointer { decoder.forwardedTopic($0, exchange: "upbit") }
    }

    func topic(_ bytes: [UInt8]) -> SubscriptionTopic? {
        bytes.withUnsafeBufferPointer { decoder.forwardedTopic($0, exchange: "upbit") }
    }

    @Test(arguments: [
        ("ticker.default.json", DataKind.ticker), ("ticker.simple.json", .ticker),
        ("ticker-exponent.default.json", .ticker), ("trade.default.json", .trade), ("trade.simple.json", .trade),
    ])
    func tickersAndTradesAreNamedByTheirFirstTwoMembers(sample: String, kind: DataKind) throws {
        let named = try #require(topic(try Samples.bytes(sample)))
        #expect(named == SubscriptionTopic(exchange: "upbit", kind: kind, market: MarketCode(validated: "KRW-BTC")))
    }

    @Test(arguments: [
        "orderbook.default.json", "orderbook.simple.json", "candle-1m.default.json", "candle-1m.simple.json",
        "myOrder.default.json", "myOrder.simple.json", "myAsset.default.json", "myAsset.simple.json",
        "status-up.json", "error.json", "error-no-ticket.json", "list-subscriptions.json",
    ])
    func everyOtherSampleIsLeftToTheDecoder(sample: String) throws {
        #expect(topic(try Samples.bytes(sample)) == nil)
    }

    /// The promise a forwarding router relies on: a frame it is told the topic of decodes into
    /// events of that topic alone (for every Upbit and Bithumb sample the decoder reads).
    @Test func aNamedFrameDecodesIntoEventsOfThatTopicAlone() throws {
        let bithumb = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("VenueSamples/bithumb")
        var named = 0
        for directory in [Samples.directory, bithumb] {
            for file in try FileManager.default.contentsOfDirectory(atPath: directory.path)
            where file.hasSuffix(".json") {
                let bytes = Array(try Data(contentsOf: directory.appendingPathComponent(file)))
                guard let forwarded = topic(bytes) else { continue }
                named += 1
                let events = try decode(bytes).events
                #expect(!events.isEmpty, "\(file)")
                #expect(events.allSatisfy { $0.topic == forwarded }, "\(file)")
            }
        }
        #expect(named == 8, "the Upbit and Bithumb tickers and trades")
    }

    @Test(arguments: [
        // The code before the type, or something between them.
        #"{"code":"KRW-BTC","type":"ticker","trade_price":1}"#,
        #"{"type":"ticker","stream_type":"REALTIME","code":"KRW-BTC"}"#,
        // SIMPLE's type with DEFAULT's code, and the other way round.
        #"{"ty":"ticker","code":"KRW-BTC"}"#, #"{"type":"trade","cd":"KRW-BTC"}"#,
        // An invalid code, a code that is not a string, a type that is not a string.
        #"{"type":"ticker","code":"krw-btc"}"#, #"{"type":"ticker","code":7}"#, #"{"type":1,"code":"KRW-BTC"}"#,
        // Cut short, a list (JSON_LIST), not an object, empty.
        #"{"type":"ticker","code":"KRW-BT"#, #"{"type":"ticker""#, #"[{"type":"ticker","code":"KRW-BTC"}]"#,
        "not json", "",
        // An escape in the type, and a type Upbit does not send.
        #"{"type":"tick\u0065r","code":"KRW-BTC"}"#, #"{"type":"candle.1m","code":"KRW-BTC"}"#,
    ])
    func anythingElseIsLeftToTheDecoder(text: String) {
        #expect(topic(text) == nil)
    }

    @Test func spacingAfterTheMembersIsAllowed() {
        #expect(topic(#"{ "type" : "trade" , "code" : "KRW-ETH" , "trade_price": 1}"#)?.market.rawValue == "KRW-ETH")
    }

    @Test func theModuleNamesItsOwnExchange() throws {
        let upbit = try UpbitExchange(logger: quietLogger)
        let frame = WebSocketMessage.binary(try Samples.bytes("trade.simple.json"))
        #expect(upbit.forwardedTopic(of: frame, exchange: upbit.exchange)?.exchange == upbit.exchange)
        #expect(upbit.forwardedTopic(of: frame, exchange: upbit.exchange)?.kind == .trade)
    }
}
