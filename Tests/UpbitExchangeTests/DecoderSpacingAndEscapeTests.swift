import Foundation
import MarketStreamCore
import Testing
import UpbitWire

/// The decoder compares each predicted member's `"key":` as whole words and finds a string's end
/// eight bytes at a time: spacing the predictions do not expect, and quotes and backslashes at
/// any offset in a string, must still decode as the plain frame does.
@Suite struct DecoderSpacingAndEscapeTests {
    @Test(arguments: DecoderKeyOrderTests.samples)
    func whitespaceWhereverJSONAllowsItDecodesAlike(sample: String) throws {
        let bytes = try Samples.bytes(sample)
        let original = try decode(bytes)
        try DecoderKeyOrderTests.expectSame(Self.spaced(bytes), as: original, "\(sample) spaced")
    }

    /// `json` with whitespace around every structural byte outside strings (`{ "a" :  1 , "b" : [ 2 ] }`),
    /// nested objects and arrays included, and before and after the whole value.
    static func spaced(_ json: [UInt8]) -> [UInt8] {
        var spaced: [UInt8] = Array(" \n".utf8)
        JSONStructure.forEachByte(of: json) { byte, isStructure in
            guard isStructure else {
                spaced.append(byte)
                return
            }
            switch byte {
            case UInt8(ascii: "{"), UInt8(ascii: "["), UInt8(ascii: ":"), UInt8(ascii: ","):
                spaced += [UInt8(ascii: " "), byte, UInt8(ascii: " "), UInt8(ascii: "\t")]
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                spaced += [UInt8(ascii: "\r"), UInt8(ascii: "\n"), byte, UInt8(ascii: " ")]
            default:
                spaced.append(byte)
            }
        }
        return spaced + Array("\n".utf8)
    }

    @Test func quotesAndBackslashesAtEveryOffsetOfAStringEndItWhereJSONDoes() throws {
        let text = String(decoding: try Samples.bytes("ticker.default.json"), as: UTF8.self)
        // Strings of 0 to 19 bytes with an escaped quote, an escaped backslash or neither at every
        // offset, so that the first stop falls in every byte of a word, and across two.
        for length in 0..<20 {
            for offset in 0...length {
                for escape in [#"\""#, #"\\"#, ""] {
                    let raw =
                        String(repeating: "a", count: offset) + escape + String(repeating: "b", count: length - offset)
                    let frame = text.replacingOccurrences(
                        of: #""market_warning":"NONE""#, with: #""market_warning":"\#(raw)""#)
                    let decoded = try decode(frame)
                    let event = try #require(decoded.events.first)
                    guard case .ticker(let ticker) = event.payload else {
                        Issue.record("not a ticker")
                        return
                    }
                    // Escapes are kept as sent; the members after the string still decode.
                    #expect(ticker.native(as: UpbitTicker.self)?.marketWarning == raw, "\(raw)")
                    #expect(event.timestamp == UnixTime(milliseconds: 1_790_134_742_106), "\(raw)")
                }
            }
        }
    }

    @Test func aStringCutShortAtAnyByteIsATypedError() {
        let frame = #"{"type":"ticker","code":"KRW-BTC","market_warning":"abcdefghijklmnop\"qrstuvwxyz"#
        for end in 1...frame.utf8.count {
            let bytes = Array(frame.utf8.prefix(end))
            #expect(throws: MarketStreamError.self, "cut at \(end)") { try decode(bytes) }
        }
    }
}
