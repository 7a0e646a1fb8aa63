import PropertyBased
import Testing

@testable import UpbitExchange

/// The scanner's integers (times, trade ids) read eight digits at a time against the same text
/// read digit by digit: the same value, or the same refusal.
@Suite struct ScannerIntegerTests {
    static func both(_ text: String) -> (fast: Int64?, digitByDigit: Int64?) {
        // The number alone: the word path must read nothing past its range.
        let bytes = Array(text.utf8)
        return bytes.withUnsafeBufferPointer { buffer in
            let scanner = JSONScanner(buffer)
            let range = 0..<text.utf8.count
            return (scanner.int64(range), scanner.int64DigitByDigit(range))
        }
    }

    @Test(arguments: [
        "1790134742051", "-1790134742051", "12345678", "123456789", "1234567812345678", "9999999999999999",
        "99999999999999999", "1790134742051.0", "1790134742051.5", "00000000", "-00000000", "1234567a",
        "12345678a", "123456781234567a", "12a45678", "1.345678", "-", "", "9223372036854775807",
        "9223372036854775808", "-9223372036854775808",
    ])
    func agreesWithDigitByDigit(text: String) {
        let (fast, digitByDigit) = Self.both(text)
        #expect(fast == digitByDigit, "\(text)")
    }

    /// Times, ids and the longest integers the word path takes are read by it, not left to the
    /// digit-by-digit loop.
    @Test(
        arguments: [
            ("1790134742051", 1_790_134_742_051), ("-1234567812345678", -1_234_567_812_345_678),
            ("17901347420510000", 17_901_347_420_510_000), ("999999999999999999", 999_999_999_999_999_999),
            ("12345678", 12_345_678),
        ] as [(String, Int64)])
    func readsEightDigitsAtATime(text: String, value: Int64) {
        let read = Array(text.utf8).withUnsafeBufferPointer { JSONScanner($0).shortInt64(0..<$0.count) }
        #expect(read == value, "\(text)")
    }

    /// Texts of 1–18 bytes, mostly digits, now and then a point, a sign or a letter anywhere.
    @Test func agreesOnRandomTexts() async {
        let alphabet = Array("0123456789999000.-a".utf8)
        let byte = Gen.int(in: alphabet.indices).map { alphabet[$0] }
        await propertyCheck(count: 2_000, input: byte.array(of: 1...18), Gen.bool) { bytes, negative in
            let text = (negative ? "-" : "") + String(decoding: bytes, as: UTF8.self)
            let (fast, digitByDigit) = Self.both(text)
            #expect(fast == digitByDigit, "\(text)")
        }
    }
}
