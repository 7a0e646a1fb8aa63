import Testing

@testable import UpbitExchange

/// The scanner's literals, compared as one word each: exactly `true`, `false` and `null`, and
/// nothing shorter, cut short or misspelled.
@Suite struct ScannerLiteralTests {
    /// The kind and range `value()` gives the text, or `nil` when it refuses it.
    static func scanned(_ text: String) -> (JSONScanner.ValueKind, Range<Int>)? {
        Array(text.utf8).withUnsafeBufferPointer { buffer in
            var scanner = JSONScanner(buffer)
            return try? scanner.value()
        }
    }

    @Test(arguments: [
        ("true", JSONScanner.ValueKind.true, 4), ("false", .false, 5), ("null", .null, 4), ("true,", .true, 4),
        ("false}", .false, 5), ("null]", .null, 4), ("nullx", .null, 4),
    ])
    func literalsAreRead(text: String, kind: JSONScanner.ValueKind, length: Int) throws {
        let (scannedKind, range) = try #require(Self.scanned(text))
        #expect(scannedKind == kind && range == 0..<length, "\(text)")
    }

    @Test(arguments: ["tru", "t", "fals", "f", "nul", "n", "trUe", "fAlse", "nuLl", "tRue", "falsE", "nulL", "tr ue"])
    func otherTextIsRefused(text: String) {
        #expect(Self.scanned(text) == nil, "\(text)")
    }
}
