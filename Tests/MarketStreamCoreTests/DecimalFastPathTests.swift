import MarketStreamCore
import PropertyBased
import Testing

/// The contiguous-bytes parser (eight digits at a time) against the general parser: the same
/// value, or the same refusal, for every input.
@Suite struct DecimalFastPathTests {
    static func fast(_ text: String) -> ExactDecimal? {
        Array(text.utf8).withUnsafeBufferPointer { ExactDecimal(utf8: $0) }
    }

    static func general(_ text: String) -> ExactDecimal? {
        // A lazy collection is not contiguous, so this takes the general parser.
        ExactDecimal(utf8: text.utf8.lazy.map { $0 })
    }

    @Test(arguments: [
        "0", "-0", "0.0", "1", "-1", "116012000.0", "0.0045426335", "94512348712.18833", "266503719023.55716",
        "12345678", "123456789", "1234567812345678", "9999999999999999999", "10000000000000000000",
        "18446744073709551615", "18446744073709551616", "99999999999.99999999", "0.00000000000000000001",
        "1234567890123456789012345678901234567", "12345678901234567890123456789012345678",
        "123456789012345678901234567890123456789", "1.16539E8", "1e-3", "00000000000012", "1.", ".5", "-", "",
        "1..2", "12a", "1,2", "+1", "0.10", "100", "-116539000.00000000", "00000000.00000001", "100.000", "-0.000",
        "120.0500", "9999999999999999999.0", "999999999999999999.9", "1000.0001", "0.", "-.5", "1.0.0",
    ])
    func agreesWithTheGeneralParser(text: String) {
        #expect(Self.fast(text) == Self.general(text), "\(text)")
        #expect(Self.isNumber(text) == (Self.general(text) != nil), "isNumber: \(text)")
    }

    static func isNumber(_ text: String) -> Bool {
        Array(text.utf8).withUnsafeBufferPointer { ExactDecimal.isNumber(utf8: $0) }
    }

    @Test func agreesOnRandomNumbers() async {
        let digits = Gen.int(in: 0...9).array(of: 0...24)
        await propertyCheck(count: 400, input: digits, digits, Gen.int(in: 0...3)) { whole, fraction, form in
            let integerPart = whole.map(String.init).joined()
            let fractionPart = fraction.map(String.init).joined()
            var text = integerPart.isEmpty ? "0" : integerPart
            if form & 1 == 1 { text += "." + fractionPart }
            if form & 2 == 2 { text = "-" + text }
            #expect(Self.fast(text) == Self.general(text), "\(text)")
            #expect(Self.isNumber(text) == (Self.general(text) != nil), "isNumber: \(text)")
            if let value = Self.fast(text) {
                #expect(Self.fast(value.description) == value, "\(text) round-trips through \(value)")
            }
        }
    }

    /// Numbers of 1–17 bytes, the register path's sizes and one past them, with the point at every
    /// place (or none, or two), zeros in runs at either end, and now and then a byte that is not a
    /// digit: the same value, or the same refusal, as the general parser.
    @Test func agreesOnShortNumbersWithThePointAnywhere() async {
        // Mostly zeros, so runs of leading and trailing zeros are common.
        let alphabet = Array("0000001599.e-".utf8)
        let byte = Gen.int(in: alphabet.indices).map { alphabet[$0] }
        await propertyCheck(count: 2_000, input: byte.array(of: 1...17), Gen.bool) { bytes, negative in
            let text = (negative ? "-" : "") + String(decoding: bytes, as: UTF8.self)
            #expect(Self.fast(text) == Self.general(text), "\(text)")
            #expect(Self.isNumber(text) == (Self.general(text) != nil), "isNumber: \(text)")
        }
    }
}
