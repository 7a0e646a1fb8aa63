import Testing
import UpbitWire

/// A frame's string fields (dates, times, states) are read as Swift reads UTF-8 text: bytes that
/// are not UTF-8 become U+FFFD rather than an error or a crash, and a string too long for Swift's
/// small strings is kept whole.
@Suite struct DecoderStringFieldTests {
    static func ticker(replacing old: String, with new: [UInt8]) throws -> UpbitTicker {
        try Samples.ticker(editing: [(old, new)]).1
    }

    @Test func bytesThatAreNotUTF8BecomeReplacementCharacters() throws {
        let ticker = try Self.ticker(
            replacing: #""highest_52_week_date":"2025-10-06""#,
            with: Array(#""highest_52_week_date":"2025-"#.utf8) + [0xFF, 0xC3] + Array(#"-06""#.utf8))
        #expect(ticker.highest52WeekDate == "2025-\u{FFFD}\u{FFFD}-06")
        #expect(
            ticker.highest52WeekDate
                == String(decoding: Array("2025-".utf8) + [0xFF, 0xC3] + Array("-06".utf8), as: UTF8.self))
    }

    @Test func aLongStringIsKeptWhole() throws {
        let state = "PREVIEW_WITH_A_NAME_LONGER_THAN_FIFTEEN_BYTES_한글"
        let ticker = try Self.ticker(
            replacing: #""market_state":"ACTIVE""#, with: Array(#""market_state":"\#(state)""#.utf8))
        #expect(ticker.marketState == state)
        #expect(
            try Self.ticker(replacing: #""trade_time":"033902""#, with: Array(#""trade_time":"""#.utf8)).tradeTime == ""
        )
    }
}
