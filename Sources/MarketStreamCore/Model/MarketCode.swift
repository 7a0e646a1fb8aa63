/// A market such as `KRW-BTC`: quote currency, a hyphen, base currency, in upper case.
///
/// Creating one validates the text, so an invalid code is rejected with a typed error before it
/// can reach an exchange (Upbit silently ignores unknown or lower-case codes).
public struct MarketCode: Hashable, Sendable, CustomStringConvertible, Comparable {
    /// The code as sent to the exchange, for example `KRW-BTC`.
    public let rawValue: String

    /// Validates and creates a market code.
    /// - Parameter text: A code of the form `QUOTE-BASE`, both parts 1–15 upper-case letters or digits.
    /// - Throws: ``MarketStreamError`` with code ``MarketStreamError/Code/invalidMarketCode``.
    public init(_ text: String) throws(MarketStreamError) {
        guard Self.isValid(text) else {
            throw MarketStreamError(
                .invalidMarketCode,
                "invalid market code '\(text)': expected QUOTE-BASE in upper case, like KRW-BTC"
            )
        }
        rawValue = text
    }

    /// Creates a code from text already known to be valid (a literal in code, say).
    /// - Parameter validated: The code; a precondition checks it.
    public init(validated: String) {
        precondition(Self.isValid(validated), "invalid market code \(validated)")
        rawValue = validated
    }

    /// Creates a code from UTF-8 bytes, validating them before any string is made: the decoders'
    /// hot path.
    /// - Parameter utf8: The code's bytes, for example `KRW-BTC`.
    /// - Returns: `nil` when the bytes are not a valid code.
    public init?(utf8: UnsafeBufferPointer<UInt8>) {
        guard Self.isValid(utf8: utf8) else { return nil }
        // Valid codes are ASCII: written straight into the string, with no second check of the
        // bytes as UTF-8.
        rawValue = String(unsafeUninitializedCapacity: utf8.count) { buffer in
            _ = buffer.initialize(fromContentsOf: utf8)
            return utf8.count
        }
    }

    /// Whether `text` is a syntactically valid market code.
    public static func isValid(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { isValid(utf8: $0) }
    }

    /// Whether `utf8` holds a syntactically valid market code.
    public static func isValid(utf8: UnsafeBufferPointer<UInt8>) -> Bool {
        var quoteLength = 0
        var baseLength = 0
        var sawHyphen = false
        for byte in utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                if sawHyphen { baseLength += 1 } else { quoteLength += 1 }
            case UInt8(ascii: "-") where !sawHyphen:
                sawHyphen = true
            default:
                return false
            }
        }
        return sawHyphen && (1...15).contains(quoteLength) && (1...15).contains(baseLength)
    }

    /// The quote currency (`KRW` in `KRW-BTC`).
    public var quote: Substring { rawValue.prefix { $0 != "-" } }
    /// The base currency (`BTC` in `KRW-BTC`).
    public var base: Substring { rawValue.drop { $0 != "-" }.dropFirst() }

    public var description: String { rawValue }

    public static func < (lhs: MarketCode, rhs: MarketCode) -> Bool { lhs.rawValue < rhs.rawValue }
}

extension MarketCode {
    /// Parses a comma-separated list (`KRW-BTC,KRW-ETH`), rejecting the first invalid code.
    /// - Parameter list: The codes separated by commas; spaces around codes are ignored.
    /// - Returns: The codes in order, without duplicates.
    /// - Throws: ``MarketStreamError/Code/invalidMarketCode`` or, for an empty list,
    ///   ``MarketStreamError/Code/invalidArgument``.
    public static func parseList(_ list: String) throws(MarketStreamError) -> [MarketCode] {
        var seen = Set<MarketCode>()
        var codes: [MarketCode] = []
        for part in list.split(separator: ",") {
            let code = try MarketCode(part.trimmingSpaces())
            if seen.insert(code).inserted { codes.append(code) }
        }
        guard !codes.isEmpty else { throw MarketStreamError(.invalidArgument, "no market codes given") }
        return codes
    }
}

extension Substring {
    func trimmingSpaces() -> String {
        String(drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
    }
}
