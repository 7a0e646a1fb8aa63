//===----------------------------------------------------------------------===//
// MarketStream — exact decimal numbers for prices, sizes and balances.
//===----------------------------------------------------------------------===//

/// An exact base-10 number: `significand × 10^exponent`, with up to 38 significant digits.
///
/// Prices, sizes and balances in MarketStream are `ExactDecimal`s, never `Double`. The value is
/// kept normalised (no trailing zeros in the significand), so equal numbers have equal
/// representations and hash alike: `1.10` and `1.1` are the same value.
///
/// Parsing accepts JSON number syntax, including the exponent form exchanges sometimes send
/// (`1.16539E8`); a 28-digit balance such as `1386929.37231066771348207123` survives unchanged.
/// It is a 17-byte value type with no heap storage, so copying and comparing it is cheap.
public struct ExactDecimal: Sendable, Hashable {
    // The significand is stored as two 64-bit words rather than an `Int128`: an `Int128` needs
    // 16-byte alignment, which Swift 6.3 on Linux does not honour inside enum payloads (crashes).
    @usableFromInline let low: UInt64
    @usableFromInline let high: Int64
    /// The power of ten the significand is scaled by.
    public let exponent: Int16

    /// The integer digits of the value.
    @inlinable
    public var significand: Int128 { Int128(high) << 64 | Int128(low) }

    /// The largest number of significant digits an `ExactDecimal` holds.
    public static let maximumDigits = 38

    /// Zero.
    public static let zero = ExactDecimal(significand: 0, exponent: 0)

    /// Creates `significand × 10^exponent`, normalising trailing zeros away.
    /// - Parameters:
    ///   - significand: The integer digits.
    ///   - exponent: The power of ten to scale by.
    public init(significand: Int128, exponent: Int16 = 0) {
        var scale = exponent
        if significand == 0 {
            self.init(normalized: 0, exponent: 0)
        } else if let small = Int64(exactly: significand) {
            // Fast path: 64-bit division is a single instruction, 128-bit division a library call.
            var digits = small
            while digits % 10 == 0 && scale < Int16.max {
                digits /= 10
                scale += 1
            }
            self.init(normalized: Int128(digits), exponent: scale)
        } else {
            var digits = significand
            while digits % 10 == 0 && scale < Int16.max {
                digits /= 10
                scale += 1
            }
            self.init(normalized: digits, exponent: scale)
        }
    }

    @usableFromInline
    init(normalized digits: Int128, exponent: Int16) {
        self.low = UInt64(truncatingIfNeeded: digits)
        self.high = Int64(truncatingIfNeeded: digits >> 64)
        self.exponent = exponent
    }

    /// Creates an exact value from an integer.
    /// - Parameter value: The integer.
    public init(_ value: Int) {
        self.init(significand: Int128(value), exponent: 0)
    }

    /// Parses JSON number syntax (`-12.5`, `0.00012`, `1.16539E8`) from UTF-8 bytes.
    ///
    /// - Parameter bytes: The number's UTF-8 text, without surrounding whitespace.
    /// - Returns: `nil` when the text is not a number or has more than ``maximumDigits`` significant digits.
    @inlinable
    public init?(utf8 bytes: some Collection<UInt8>) {
        self.init(parsingAny: bytes)
    }

    /// Parses JSON number syntax from contiguous UTF-8 bytes: the decoders' hot path.
    ///
    /// Plain numbers of up to 16 bytes after the sign are read in two registers
    /// (``shortPlainNumber(_:count:negative:)``); longer plain ones of up to 19 significant digits
    /// (every price and size an exchange sends) take one tight pass with 64-bit arithmetic; the
    /// rest, and the exponent form, take the general parser, with the same results.
    /// - Parameter buffer: The number's UTF-8 text, without surrounding whitespace.
    /// - Returns: `nil` when the text is not a number or has more than ``maximumDigits`` significant digits.
    @inlinable
    public init?(utf8 buffer: UnsafeBufferPointer<UInt8>) {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return nil }
        let negative = base[0] == UInt8(ascii: "-")
        let start = negative ? 1 : 0
        let count = buffer.count - start
        if count > 0, count <= 16, let short = Self.shortPlainNumber(base + start, count: count, negative: negative) {
            self = short
            return
        }
        self.init(scanningPlain: buffer)
    }

    /// The plain-number pass of ``init(utf8:)-(UnsafeBufferPointer<UInt8>)``: digits eight at a
    /// time, in 64 bits while they fit, then the general parser.
    @usableFromInline @inline(never)
    init?(scanningPlain buffer: UnsafeBufferPointer<UInt8>) {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return nil }
        let end = buffer.count
        var index = 0
        let negative = base[0] == UInt8(ascii: "-")
        if negative { index = 1 }
        var value: UInt64 = 0
        var digitCount = 0
        var fractionDigits = 0
        var fits = true
        var inFraction = false
        // The integer digits, then (after a point) the fraction's: eight at a time while eight
        // bytes remain, then one by one.
        while true {
            var read = 0
            scan: while index + 8 <= end {
                let word = UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self)
                let count = ASCIIDigits.leadingDigitCount(word)
                if count == 0 { break scan }
                // 10^11 × 10^8 stays below 2^64; a larger value takes the general parser.
                guard value < 100_000_000_000 else {
                    fits = false
                    break scan
                }
                value = value &* ASCIIDigits.powerOfTen(count) &+ ASCIIDigits.value(of: word, count: count)
                index += count
                read += count
                if count < 8 { break scan }
            }
            while fits, index < end {
                let digit = base[index] &- UInt8(ascii: "0")
                if digit >= 10 { break }
                guard value < 1_000_000_000_000_000_000 else {
                    fits = false
                    break
                }
                value = value &* 10 &+ UInt64(digit)
                index += 1
                read += 1
            }
            digitCount += read
            if inFraction {
                fractionDigits = read
                break
            }
            guard fits, index < end, base[index] == UInt8(ascii: ".") else { break }
            index += 1
            inFraction = true
        }
        // Exponents, more than 19 digits, odd scales and malformed text: the general parser decides.
        guard fits, index == end, digitCount > 0, fractionDigits < Int(Int16.max) - 64 else {
            self.init(parsingAny: buffer)
            return
        }
        guard value != 0 else {
            self = .zero
            return
        }
        var scale = -fractionDigits
        while value % 10 == 0 {
            value /= 10
            scale += 1
        }
        let magnitude = Int128(value)
        self.init(normalized: negative ? -magnitude : magnitude, exponent: Int16(scale))
    }

    /// The general parser: any collection of bytes, up to 38 digits, with or without an exponent.
    @inlinable
    init?(parsingAny bytes: some Collection<UInt8>) {
        // Digits accumulate in 64 bits while they fit (19 of them), then in 128. Zeros after the
        // last non-zero digit are counted rather than multiplied in, so the result is already
        // normalised: no division by ten afterwards.
        var small: UInt64 = 0
        var large: Int128 = 0
        var digitCount = 0
        var pendingZeros = 0
        var scale = 0
        var negative = false
        var sawDigit = false
        var sawPoint = false
        var index = bytes.startIndex
        if index < bytes.endIndex, bytes[index] == UInt8(ascii: "-") {
            negative = true
            bytes.formIndex(after: &index)
        }
        while index < bytes.endIndex {
            let byte = bytes[index]
            let digit = byte &- UInt8(ascii: "0")
            if digit < 10 {
                sawDigit = true
                if sawPoint { scale -= 1 }
                if digit == 0 {
                    // Leading zeros carry no precision; others wait until a non-zero digit follows.
                    if digitCount > 0 { pendingZeros += 1 }
                } else {
                    let wasSmall = digitCount <= 19
                    digitCount += pendingZeros + 1
                    guard digitCount <= Self.maximumDigits else { return nil }
                    if digitCount <= 19 {
                        var multiplier: UInt64 = 10
                        for _ in 0..<pendingZeros { multiplier &*= 10 }
                        small = small &* multiplier &+ UInt64(digit)
                    } else {
                        if wasSmall { large = Int128(small) }
                        for _ in 0...pendingZeros { large = large &* 10 }
                        large = large &+ Int128(digit)
                    }
                    pendingZeros = 0
                }
            } else if byte == UInt8(ascii: "."), !sawPoint {
                sawPoint = true
            } else if byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E") {
                break
            } else {
                return nil
            }
            bytes.formIndex(after: &index)
        }
        guard sawDigit else { return nil }
        if index < bytes.endIndex {
            // Exponent part.
            bytes.formIndex(after: &index)
            var exponentNegative = false
            if index < bytes.endIndex, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
                exponentNegative = bytes[index] == UInt8(ascii: "-")
                bytes.formIndex(after: &index)
            }
            var exponentValue = 0
            var sawExponentDigit = false
            while index < bytes.endIndex {
                let byte = bytes[index]
                guard byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") else { return nil }
                sawExponentDigit = true
                exponentValue = exponentValue * 10 + Int(byte - UInt8(ascii: "0"))
                guard exponentValue < 10_000 else { return nil }
                bytes.formIndex(after: &index)
            }
            guard sawExponentDigit else { return nil }
            scale += exponentNegative ? -exponentValue : exponentValue
        }
        let magnitude = digitCount <= 19 ? Int128(small) : large
        guard magnitude != 0 else {
            self = .zero
            return
        }
        scale += pendingZeros
        guard scale >= Int(Int16.min) + 64 && scale <= Int(Int16.max) - 64 else { return nil }
        self.init(normalized: negative ? -magnitude : magnitude, exponent: Int16(scale))
    }

    /// Parses JSON number syntax from a string.
    /// - Parameter text: The number's text, for example `"116539000.0"` or `"1.16539E8"`.
    /// - Returns: `nil` when `text` is not a number this type can hold exactly.
    public init?(_ text: some StringProtocol) {
        var text = String(text)
        guard let value = text.withUTF8({ ExactDecimal(utf8: $0) }) else { return nil }
        self = value
    }

    /// Whether the value is below zero.
    public var isNegative: Bool { high < 0 }

    /// Whether the value is zero.
    public var isZero: Bool { high == 0 && low == 0 }

    /// The value without its sign.
    public var magnitude: ExactDecimal { isNegative ? .zero - self : self }

    /// An approximation for display and statistics. Never use it for money.
    public var approximateDouble: Double {
        var value = Double(significand)
        if exponent >= 0 {
            for _ in 0..<Int(exponent) { value *= 10 }
        } else {
            for _ in 0..<Int(-exponent) { value /= 10 }
        }
        return value
    }
}

// MARK: - Arithmetic

extension ExactDecimal: Comparable, AdditiveArithmetic {
    /// Both operands rescaled to the smaller exponent, or `nil` when that would overflow.
    private static func aligned(_ lhs: ExactDecimal, _ rhs: ExactDecimal) -> (Int128, Int128, Int16)? {
        if lhs.exponent == rhs.exponent { return (lhs.significand, rhs.significand, lhs.exponent) }
        let (high, low) = lhs.exponent > rhs.exponent ? (lhs, rhs) : (rhs, lhs)
        var scaled = high.significand
        for _ in 0..<(Int(high.exponent) - Int(low.exponent)) {
            let (next, overflow) = scaled.multipliedReportingOverflow(by: 10)
            if overflow { return nil }
            scaled = next
        }
        return lhs.exponent > rhs.exponent
            ? (scaled, low.significand, low.exponent) : (low.significand, scaled, low.exponent)
    }

    public static func < (lhs: ExactDecimal, rhs: ExactDecimal) -> Bool {
        if let (l, r, _) = aligned(lhs, rhs) { return l < r }
        // Rescaling overflowed: the magnitudes are far apart, so the sign and the exponent decide.
        if lhs.isNegative != rhs.isNegative { return lhs.isNegative }
        if lhs.isZero || rhs.isZero { return lhs.isZero ? !rhs.isNegative && !rhs.isZero : lhs.isNegative }
        let lhsLarger = lhs.exponent > rhs.exponent
        return lhs.isNegative ? lhsLarger : !lhsLarger
    }

    /// Adds two exact values. Traps when the exact sum needs more than 38 digits, like `Int` does.
    public static func + (lhs: ExactDecimal, rhs: ExactDecimal) -> ExactDecimal {
        guard let (l, r, e) = aligned(lhs, rhs) else { preconditionFailure("ExactDecimal overflow in +") }
        return ExactDecimal(significand: l + r, exponent: e)
    }

    /// Subtracts two exact values. Traps when the exact difference needs more than 38 digits.
    public static func - (lhs: ExactDecimal, rhs: ExactDecimal) -> ExactDecimal {
        guard let (l, r, e) = aligned(lhs, rhs) else { preconditionFailure("ExactDecimal overflow in -") }
        return ExactDecimal(significand: l - r, exponent: e)
    }

    /// Multiplies two exact values. Traps when the exact product needs more than 38 digits.
    public static func * (lhs: ExactDecimal, rhs: ExactDecimal) -> ExactDecimal {
        let (product, overflow) = lhs.significand.multipliedReportingOverflow(by: rhs.significand)
        precondition(!overflow, "ExactDecimal overflow in *")
        return ExactDecimal(significand: product, exponent: lhs.exponent + rhs.exponent)
    }

    /// Divides, rounding half away from zero to `scale` fractional digits.
    /// - Parameters:
    ///   - divisor: The value to divide by; must not be zero.
    ///   - scale: Fractional digits kept in the quotient.
    /// - Returns: The rounded quotient, or `nil` when `divisor` is zero or the quotient overflows.
    public func divided(by divisor: ExactDecimal, scale: Int = 12) -> ExactDecimal? {
        guard !divisor.isZero else { return nil }
        // quotient = (s1 × 10^(e1 - e2 + scale)) / s2, then × 10^-scale.
        var numerator = significand
        var shift = Int(exponent) - Int(divisor.exponent) + scale
        var denominator = divisor.significand
        while shift > 0 {
            let (next, overflow) = numerator.multipliedReportingOverflow(by: 10)
            if overflow { return nil }
            numerator = next
            shift -= 1
        }
        while shift < 0 {
            let (next, overflow) = denominator.multipliedReportingOverflow(by: 10)
            // The divisor outgrew every possible numerator: the rounded quotient is zero.
            if overflow { return .zero }
            denominator = next
            shift += 1
        }
        let (rawQuotient, remainder) = numerator.quotientAndRemainder(dividingBy: denominator)
        var quotient = rawQuotient
        if remainder.magnitude * 2 >= denominator.magnitude {
            quotient += (numerator < 0) != (denominator < 0) ? -1 : 1
        }
        return ExactDecimal(significand: quotient, exponent: Int16(-scale))
    }
}

// MARK: - Text

extension ExactDecimal: CustomStringConvertible, LosslessStringConvertible, ExpressibleByIntegerLiteral {
    /// Creates a value from an integer literal.
    public init(integerLiteral value: Int) {
        self.init(value)
    }

    /// All digits in plain positional notation (`116539000`, `0.00012`), never an exponent.
    public var description: String {
        let negative = significand < 0
        var digits = String(significand.magnitude)
        if exponent > 0 {
            digits += String(repeating: "0", count: Int(exponent))
        } else if exponent < 0 {
            let fraction = Int(-exponent)
            if digits.count <= fraction {
                digits = "0." + String(repeating: "0", count: fraction - digits.count) + digits
            } else {
                digits.insert(".", at: digits.index(digits.endIndex, offsetBy: -fraction))
            }
        }
        return negative ? "-" + digits : digits
    }
}

extension ExactDecimal {
    /// Appends ``description``'s UTF-8 bytes without creating a `String` (for JSON writers).
    /// - Parameter bytes: Where to append.
    public func appendDigits(to bytes: inout [UInt8]) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 48) { scratch in
            // Digits of the magnitude, least significant first.
            var count = 0
            var magnitude = significand.magnitude
            if magnitude <= UInt128(UInt64.max) {
                var small = UInt64(magnitude)
                repeat {
                    scratch[count] = UInt8(ascii: "0") &+ UInt8(small % 10)
                    small /= 10
                    count += 1
                } while small != 0
            } else {
                repeat {
                    scratch[count] = UInt8(ascii: "0") &+ UInt8(magnitude % 10)
                    magnitude /= 10
                    count += 1
                } while magnitude != 0
            }
            if significand < 0 { bytes.append(UInt8(ascii: "-")) }
            if exponent >= 0 {
                for index in stride(from: count - 1, through: 0, by: -1) { bytes.append(scratch[index]) }
                for _ in 0..<Int(exponent) { bytes.append(UInt8(ascii: "0")) }
                return
            }
            let fraction = Int(-exponent)
            if count <= fraction {
                bytes.append(UInt8(ascii: "0"))
                bytes.append(UInt8(ascii: "."))
                for _ in 0..<(fraction - count) { bytes.append(UInt8(ascii: "0")) }
                for index in stride(from: count - 1, through: 0, by: -1) { bytes.append(scratch[index]) }
            } else {
                for index in stride(from: count - 1, through: 0, by: -1) {
                    bytes.append(scratch[index])
                    if index == fraction { bytes.append(UInt8(ascii: ".")) }
                }
            }
        }
    }
}

extension ExactDecimal: Codable {
    /// Decodes from a JSON string or an integer; use a scanner for JSON numbers with fractions.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let text = try? container.decode(String.self), let value = ExactDecimal(text) {
            self = value
        } else if let integer = try? container.decode(Int64.self) {
            self.init(significand: Int128(integer))
        } else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "not an exact decimal")
        }
    }

    /// Encodes as a string holding every digit.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
