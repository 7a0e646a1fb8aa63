import Foundation
import MarketStreamCore
import PropertyBased
import Testing

@Suite struct ExactDecimalTests {
    @Test(arguments: [
        ("116539000.0", "116539000"),
        ("1.16539E8", "116539000"),
        ("1.16539e+8", "116539000"),
        ("0.00012", "0.00012"),
        ("-12.50", "-12.5"),
        ("0", "0"),
        ("-0.0", "0"),
        ("0.0045426335", "0.0045426335"),
        ("1386929.37231066771348207123", "1386929.37231066771348207123"),
        ("5E-3", "0.005"),
        ("00012.3400", "12.34"),
        // Around the switch from 64-bit to 128-bit accumulation (19 significant digits).
        ("9999999999999999999", "9999999999999999999"),
        ("10000000000000000001", "10000000000000000001"),
        ("100000000000000000000", "100000000000000000000"),
        ("1000000000000000000.0000000000000000001", "1000000000000000000.0000000000000000001"),
        ("-12345678901234567890.123456789", "-12345678901234567890.123456789"),
        ("99999999999999999999999999999999999999", "99999999999999999999999999999999999999"),
    ])
    func parsesAndPrintsEveryDigit(text: String, expected: String) throws {
        let value = try #require(ExactDecimal(text))
        #expect(value.description == expected)
        #expect(ExactDecimal(value.description) == value)
    }

    @Test(arguments: [
        "", "-", ".", "1.2.3", "abc", "1e", "1e+", "12a", "1" + String(repeating: "0", count: 40) + "1", "--1",
        String(repeating: "9", count: 39),
        "1e99999",
    ])
    func rejectsWhatIsNotAnExactNumber(text: String) {
        #expect(ExactDecimal(text) == nil)
    }

    @Test func equalValuesAreEqualWhateverTheirSpelling() {
        #expect(ExactDecimal("1.10") == ExactDecimal("1.1"))
        #expect(ExactDecimal("1.1E2") == ExactDecimal(110))
        #expect(ExactDecimal("100")!.hashValue == ExactDecimal("1E2")!.hashValue)
    }

    @Test func arithmeticIsExact() throws {
        let a = try #require(ExactDecimal("0.1"))
        let b = try #require(ExactDecimal("0.2"))
        #expect(a + b == ExactDecimal("0.3"))
        #expect(b - a == a)
        #expect(a * b == ExactDecimal("0.02"))
        #expect(ExactDecimal(10).divided(by: 3, scale: 4) == ExactDecimal("3.3333"))
        #expect(ExactDecimal(2).divided(by: 3, scale: 2) == ExactDecimal("0.67"))
        #expect(ExactDecimal(-2).divided(by: 3, scale: 2) == ExactDecimal("-0.67"))
        #expect(ExactDecimal(1).divided(by: .zero) == nil)
        #expect(ExactDecimal("1E-30")!.divided(by: ExactDecimal("1E+30")!, scale: 2) == .zero)
    }

    @Test func orderingWorksAcrossExponents() throws {
        let values = ["-5", "-0.5", "0", "0.000001", "0.5", "1", "1E30", "-1E30"].compactMap(ExactDecimal.init)
        let sorted = values.sorted()
        #expect(sorted.map(\.description).first == "-1000000000000000000000000000000")
        #expect(sorted.last == ExactDecimal("1E30"))
        #expect(try #require(ExactDecimal("1E-300")) < ExactDecimal("1E+300")!)
        #expect(try #require(ExactDecimal("-1E+300")) < ExactDecimal("-1E-300")!)
        #expect(!(ExactDecimal.zero < ExactDecimal.zero))
        #expect(ExactDecimal.zero < ExactDecimal("1E300")!)
        #expect(ExactDecimal("-1E300")! < ExactDecimal.zero)
    }

    @Test func approximateDoubleIsClose() {
        #expect(abs(ExactDecimal("116539000.5")!.approximateDouble - 116_539_000.5) < 1e-6)
        #expect(abs(ExactDecimal("0.00012")!.approximateDouble - 0.00012) < 1e-12)
    }

    @Test func codableRoundTripsThroughStrings() throws {
        let value = try #require(ExactDecimal("1386929.37231066771348207123"))
        let data = try JSONEncoder().encode([value])
        #expect(String(decoding: data, as: UTF8.self) == "[\"1386929.37231066771348207123\"]")
        #expect(try JSONDecoder().decode([ExactDecimal].self, from: data) == [value])
        #expect(try JSONDecoder().decode([ExactDecimal].self, from: Data("[42]".utf8)) == [42])
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode([ExactDecimal].self, from: Data("[\"x\"]".utf8))
        }
    }

    @Test func sumsMatchIntegerArithmetic() async {
        await propertyCheck(
            input: Gen.int(in: -1_000_000...1_000_000), Gen.int(in: -1_000_000...1_000_000), Gen.int(in: 0...8)
        ) {
            a, b, scale in
            let x = ExactDecimal(significand: Int128(a), exponent: Int16(-scale))
            let y = ExactDecimal(significand: Int128(b), exponent: Int16(-scale))
            #expect(x + y == ExactDecimal(significand: Int128(a + b), exponent: Int16(-scale)))
            #expect((x < y) == (a < b))
            #expect(ExactDecimal(x.description) == x)
        }
    }
}

@Suite struct ExactDecimalDigitsTests {
    @Test func appendedDigitsMatchTheDescription() async {
        await propertyCheck(input: Gen.int64(in: .min ... .max), Gen.int(in: -30...10)) { significand, exponent in
            let value = ExactDecimal(significand: Int128(significand) * 1_000_003, exponent: Int16(exponent))
            var bytes: [UInt8] = []
            value.appendDigits(to: &bytes)
            #expect(String(decoding: bytes, as: UTF8.self) == value.description)
        }
    }
}
