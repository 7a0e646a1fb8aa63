import MarketStreamCore
import PropertyBased
import Testing
import UpbitWire

@testable import UpbitExchange

/// The scanner's number values: a sign, then digits eight at a time, then the rest byte by byte.
/// Each must end where the bytes a JSON number can hold end, as a byte-by-byte reading does, and
/// signed numbers (half of Upbit's `signed_change_*` fields) must decode like unsigned ones.
@Suite struct ScannerNumberTests {
    /// The range `value()` gives the number at the start of `text`, followed by `,`.
    static func scanned(_ text: String) -> Range<Int>? {
        let bytes = Array((text + ",").utf8)
        return bytes.withUnsafeBufferPointer { buffer -> Range<Int>? in
            var scanner = JSONScanner(buffer)
            guard let (kind, range) = try? scanner.value(), kind == .number else { return nil }
            return range
        }
    }

    /// The bytes a number token can hold, read one at a time from the start.
    static func byteByByte(_ text: String) -> Range<Int>? {
        let allowed = Set("0123456789+-.eE".utf8)
        let count = text.utf8.prefix { allowed.contains($0) }.count
        return count > 0 ? 0..<count : nil
    }

    @Test(arguments: [
        "-527000.0", "-0.0045426335", "-1", "-0", "-", "--5", "-1e-3", "-1.16539E8", "-12345678901234567890.5",
        "527000.0", "0", "1.5e+10", "-00000000.00000001", "-9223372036854775808", ".5", "+1", "e5", "1.2.3",
        "12345678.12345678-", "1E", "123456789012345678901234567890", "x",
    ])
    func endsWhereTheNumberEnds(text: String) {
        #expect(Self.scanned(text) == Self.byteByByte(text), "\(text)")
    }

    @Test func endsWhereTheNumberEndsForRandomTexts() async {
        let alphabet = Array("0123456789-.eE+".utf8)
        let byte = Gen.int(in: alphabet.indices).map { alphabet[$0] }
        await propertyCheck(count: 2_000, input: byte.array(of: 1...24), Gen.bool) { bytes, signed in
            // Mostly what a number value starts with, a digit or a minus sign; now and then a
            // point, a plus or an exponent first, which the scanner reads the same way.
            let text = (signed ? "-" : "") + String(decoding: bytes, as: UTF8.self)
            #expect(Self.scanned(text) == Self.byteByByte(text), "\(text)")
        }
    }

    /// A falling market: Upbit's signed change and rate are negative, and decode exactly.
    @Test func aFallingTickerDecodesItsNegativeChange() throws {
        let (normalised, ticker) = try Samples.ticker(
            editing: [
                (#""change":"RISE""#, #""change":"FALL""#),
                (#""signed_change_price":527000.0"#, #""signed_change_price":-527000.0"#),
                (#""signed_change_rate":0.0045426335"#, #""signed_change_rate":-0.0045426335"#),
            ].map { ($0, Array($1.utf8)) })
        #expect(ticker.change == .fall && ticker.changePrice == ExactDecimal("527000"))
        #expect(ticker.signedChangePrice == ExactDecimal("-527000"))
        #expect(ticker.signedChangeRate == ExactDecimal("-0.0045426335"))
        #expect(normalised.change == ExactDecimal("-527000") && normalised.changeRate == ExactDecimal("-0.0045426335"))
    }
}
