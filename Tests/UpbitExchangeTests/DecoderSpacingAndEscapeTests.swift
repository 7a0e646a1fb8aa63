import Foundation
import MarketStreamCore
import Testing
import UpbitWire

/// The decoder compares each predicted member's `"key":` as whole words and finds a string's end
/// eight bytes at a time: spacing the predictions do not expect, and quotes and backslashes at
/// any offset in a string, must still decode as the plain frame does.
@Suite struct DecoderSpacingAndEscapeTests {
    @Test(arguments: DecoderKeyOrderTests.samples)
    func whitespaceAroundColonsAndCommasDecodesAlike(sample: String) throws {
        let bytes = try Samples.bytes(sample)
        let original = try decode(bytes)
        let spaced = DecoderKeyOrderTests.members(bytes).map { member -> [UInt8] in
            // `"key":value` → `"key" :  value`, and members joined by `, `.
            guard let colon = Self.keyColon(in: member) else { return member }
            return Array(member[..<colon]) + Array(" :  ".utf8) + Array(member[(colon + 1)...])
        }
        let frame = [UInt8(ascii: "{")] + Array(spaced.joined(separator: Array(", ".utf8))) + Array(" }".utf8)
        try DecoderKeyOrderTests.expectSame(frame, as: original, "\(sample) spaced")
    }

    /// The index of the colon after a member's key.
    static func keyColon(in member: [UInt8]) -> Int? {
        var index = 1
        while index < member.count, member[index] != UInt8(ascii: "\"") {
            index += member[index] == UInt8(ascii: "\\") ? 2 : 1
        }
        return member.indices.contains(index + 1) && member[index + 1] == UInt8(ascii: ":") ? index + 1 : nil
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
