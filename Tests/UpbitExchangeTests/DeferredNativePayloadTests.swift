import Foundation
import MarketStreamCore
import Testing
import UpbitWire

@testable import UpbitExchange

/// A ticker's and a trade's Upbit payload is kept as the object's bytes and built when `native` is
/// read; every field it carries is still checked when the frame is decoded.
@Suite struct DeferredNativePayloadTests {
    /// The one event of `bytes`, decoded in `dialect`.
    func event(_ bytes: [UInt8], dialect: UpbitDialect = .upbit) throws -> MarketEvent {
        var output = DecodedFrame()
        try UpbitFrameDecoder(dialect: dialect).decode(bytes, context: context, into: &output)
        return try #require(output.events.first)
    }

    /// The normalised payload equals the one `UpbitTicker.normalised` (`UpbitTrade.normalised`)
    /// makes of the payload built when asked for: the deferred path reads the same fields into the
    /// same places.
    @Test(arguments: [
        "ticker.default.json", "ticker.simple.json", "ticker-exponent.default.json", "trade.default.json",
        "trade.simple.json",
    ])
    func aPayloadIsWhatItsUpbitPayloadNormalisesTo(sample: String) throws {
        switch try event(try Samples.bytes(sample)).payload {
        case .ticker(let ticker):
            let upbit = try #require(ticker.native(as: UpbitTicker.self))
            #expect(ticker == upbit.normalised && ticker.hashValue == upbit.normalised.hashValue)
            #expect(upbit.highest52WeekDate == "2025-10-06" && upbit.marketState == "ACTIVE")
            #expect(upbit.accBidVolume == ExactDecimal("411.32865404") && upbit.askBid == .bid)
        case .trade(let trade):
            let upbit = try #require(trade.native(as: UpbitTrade.self))
            #expect(trade == upbit.normalised && trade.hashValue == upbit.normalised.hashValue)
            #expect(upbit.bestAskSize == ExactDecimal("0.01840226") && upbit.tradeDate == "2026-09-23")
        default:
            Issue.record("neither a ticker nor a trade")
        }
    }

    /// Each object of a list keeps its own bytes, not the whole frame's.
    @Test func eachObjectOfAListKeepsItsOwnPayload() throws {
        let ticker = String(decoding: try Samples.bytes("ticker.default.json"), as: UTF8.self)
        let other = ticker.replacingOccurrences(of: "KRW-BTC", with: "KRW-ETH")
            .replacingOccurrences(of: "\"acc_bid_volume\":411.32865404", with: "\"acc_bid_volume\":7.5")
        let frame = try decode("[\(ticker), \(other)]")
        let bids = frame.events.compactMap { event -> ExactDecimal? in
            guard case .ticker(let ticker) = event.payload else { return nil }
            return ticker.native(as: UpbitTicker.self)?.accBidVolume
        }
        #expect(bids == [ExactDecimal("411.32865404"), ExactDecimal("7.5")])
    }

    /// A field only the Upbit payload reads is still checked with the frame: a typed error naming
    /// it, as when the payload was built with the frame (each case decodes without the checks).
    @Test(arguments: [
        ("\"acc_ask_volume\":401.10324871", "\"acc_ask_volume\":\"many\"", "accAskVolume"),
        ("\"acc_trade_price\":94512348712.18833", "\"acc_trade_price\":1-2", "accTradePrice"),
        ("\"acc_ask_volume\":401.10324871", "\"acc_ask_volume\":-.", "accAskVolume"),
        ("\"acc_ask_volume\":401.10324871", "\"acc_ask_volume\":\(String(repeating: "9", count: 39))", "accAskVolume"),
        ("\"change_rate\":0.0045426335,", "", "changeRate"),
        ("\"highest_52_week_date\":\"2025-10-06\"", "\"highest_52_week_date\":5", "highest52WeekDate"),
        ("\"trade_date\":\"20260923\"", "\"trade_date\":null", "tradeDate"),
        ("\"change\":\"RISE\"", "\"change\":\"UP\"", "change"),
        ("\"market_warning\":\"NONE\"", "\"market_warning\":3", "marketWarning"),
        ("\"market_state\":\"ACTIVE\"", "\"market_state\":true", "marketState"),
        ("\"is_trading_suspended\":false", "\"is_trading_suspended\":\"no\"", "isTradingSuspended"),
        ("\"delisting_date\":null", "\"delisting_date\":{\"year\":2027}", "delisting_date"),
    ])
    func aMalformedFieldOfTheUpbitTickerIsATypedError(text: String, replacement: String, field: String) throws {
        try expectMalformed("ticker.default.json", editing: text, to: replacement, naming: field)
    }

    @Test(arguments: [
        ("\"best_ask_size\":0.01840226", "\"best_ask_size\":\"x\"", "bestAskSize"),
        ("\"prev_closing_price\":116012000.0,", "", "prevClosingPrice"),
        ("\"change_price\":527000.0", "\"change_price\":[1]", "changePrice"),
        ("\"trade_time\":\"03:39:02\"", "\"trade_time\":33902", "tradeTime"),
    ])
    func aMalformedFieldOfTheUpbitTradeIsATypedError(text: String, replacement: String, field: String) throws {
        try expectMalformed("trade.default.json", editing: text, to: replacement, naming: field)
    }

    /// The deferred path's checks and the payload's builder agree on every member of the
    /// samples: with any one member left out, or its value made an array (no field takes one),
    /// the frame is refused exactly when the builder refuses the object. The frame's own fields
    /// (`type`, `code`, `timestamp`), which the event reads and the builder does not, are left
    /// alone. Fails when a check is missing from the deferred path or one is added that the
    /// builder does not make.
    @Test(arguments: ["ticker.default.json", "ticker.simple.json", "trade.default.json", "trade.simple.json"])
    func theChecksRefuseWhatTheBuilderRefuses(sample: String) throws {
        let text = String(decoding: try Samples.bytes(sample), as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let members = text.dropFirst().dropLast().split(separator: ",").map(String.init)
        #expect(text.first == "{" && text.last == "}" && members.count > 10)
        let frameFields: Set<String> = ["type", "ty", "code", "cd", "timestamp", "tms"]
        for (index, member) in members.enumerated() {
            let key = String(member.split(separator: ":")[0].dropFirst().dropLast())
            guard !frameFields.contains(key) else { continue }
            for replacement in [nil, "\"\(key)\":[1]"] {
                var edited = members
                if let replacement { edited[index] = replacement } else { edited.remove(at: index) }
                let bytes = Array(("{" + edited.joined(separator: ",") + "}").utf8)
                let refused = (try? decode(bytes)) == nil
                let built = bytes.withUnsafeBufferPointer { UpbitFrameDecoder().nativePayload(of: $0) } != nil
                #expect(refused == !built, "\(sample): \(key) \(replacement == nil ? "left out" : "an array")")
            }
        }
    }

    /// `sample` with `text` replaced is a malformed frame whose error names `field`.
    func expectMalformed(_ sample: String, editing text: String, to replacement: String, naming field: String) throws {
        let frame = String(decoding: try Samples.bytes(sample), as: UTF8.self)
        #expect(frame.contains(text))
        let error = #expect(throws: MarketStreamError.self) {
            try decode(frame.replacingOccurrences(of: text, with: replacement))
        }
        #expect(error?.code == .malformedFrame, "\(String(describing: error))")
        #expect(error?.message.contains(field) == true, "\(String(describing: error))")
    }

    /// Once a frame has a number past the plain form (an exponent), the others are checked by
    /// the parser rather than by their length: a malformed one is still refused.
    @Test func aFrameWithAnExponentStillHasItsOtherNumbersChecked() throws {
        try expectMalformed(
            "ticker-exponent.default.json", editing: "\"acc_ask_volume\":401.10324871", to: "\"acc_ask_volume\":-.",
            naming: "accAskVolume")
        guard case .ticker(let ticker) = try event(try Samples.bytes("ticker-exponent.default.json")).payload else {
            Issue.record("not a ticker")
            return
        }
        #expect(ticker.native(as: UpbitTicker.self)?.accAskVolume == ExactDecimal("401.10324871"))
    }

    /// A payload kept as bytes equals the same payload built at once, and hashes alike.
    @Test func aDeferredPayloadEqualsTheSamePayloadBuiltAtOnce() throws {
        guard case .ticker(let deferred) = try event(try Samples.bytes("ticker.default.json")).payload else {
            Issue.record("not a ticker")
            return
        }
        var eager = deferred
        eager.native = try #require(deferred.native)
        #expect(eager == deferred && eager.hashValue == deferred.hashValue)
        var changed = try #require(deferred.native(as: UpbitTicker.self))
        changed.accBidVolume = 1
        eager.native = changed
        #expect(eager != deferred, "the payloads differ in a field only the Upbit payload has")
    }
}
