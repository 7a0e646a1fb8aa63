extension ExactDecimal {
    /// A plain number of 1–16 bytes after its sign (digits, with at most one point between two of
    /// them: every price and size an exchange sends), read in two registers with no loop over its
    /// digits; `nil` for any other text, which the byte-by-byte parser then reads.
    ///
    /// The point is taken out of the text by a shift; zeros after the last non-zero digit are
    /// counted from the text and left out of the significand, so it is normalised without a
    /// division.
    /// - Parameters:
    ///   - start: The first byte after the sign.
    ///   - count: The bytes from `start`: 1–16.
    ///   - negative: Whether a minus came before `start`.
    @inlinable @inline(__always)
    static func shortPlainNumber(_ start: UnsafePointer<UInt8>, count: Int, negative: Bool) -> ExactDecimal? {
        // The text in two little-endian words, the first byte lowest, zeros after its end.
        let low: UInt64
        let high: UInt64
        if count >= 8 {
            low = UnsafeRawPointer(start).loadUnaligned(as: UInt64.self)
            high =
                count > 8
                ? UnsafeRawPointer(start + (count - 8)).loadUnaligned(as: UInt64.self)
                    &>> UInt64(truncatingIfNeeded: 8 * (16 - count)) : 0
        } else if count >= 4 {
            // Two four-byte words that overlap where `count` is under eight: the bytes they share are
            // the same, so or-ing them is exact.
            let first = UInt64(UnsafeRawPointer(start).loadUnaligned(as: UInt32.self))
            let last = UInt64(UnsafeRawPointer(start + (count - 4)).loadUnaligned(as: UInt32.self))
            low = first | last &<< UInt64(truncatingIfNeeded: 8 * (count - 4))
            high = 0
        } else {
            var word: UInt64 = 0
            for index in 0..<count { word |= UInt64(start[index]) &<< UInt64(truncatingIfNeeded: 8 * index) }
            low = word
            high = 0
        }
        // At most one point, with a digit on each side (`1.` and `.5` go to the general parser).
        // It is taken out with 64-bit shifts of the word that holds it: a 128-bit shift by a
        // variable amount costs a branch-free sequence twice as long.
        let pointsLow = ASCIIDigits.bytes(equalTo: UInt8(ascii: "."), in: low)
        let pointsHigh = ASCIIDigits.bytes(equalTo: UInt8(ascii: "."), in: high)
        var digitsLow = low
        var digitsHigh = high
        let digitCount: Int
        let fractionDigits: Int
        if pointsLow | pointsHigh == 0 {
            digitCount = count
            fractionDigits = 0
        } else {
            // Exactly one point (a word holds a single high bit only when `x & (x - 1)` is zero).
            let points = pointsLow | pointsHigh
            guard (pointsLow == 0) != (pointsHigh == 0), points & (points &- 1) == 0 else { return nil }
            let point: Int
            if pointsLow != 0 {
                point = pointsLow.trailingZeroBitCount >> 3
                guard point > 0 else { return nil }
                // The bytes after the point move down one, the high word's first byte with them.
                let below = (1 as UInt64 &<< UInt64(truncatingIfNeeded: 8 * point)) &- 1
                digitsLow = low & below | (low &>> 8) & ~below | high &<< 56
                digitsHigh = high &>> 8
            } else {
                point = 8 + pointsHigh.trailingZeroBitCount >> 3
                let below = (1 as UInt64 &<< UInt64(truncatingIfNeeded: 8 * (point - 8))) &- 1
                digitsHigh = high & below | (high &>> 8) & ~below
            }
            guard point < count - 1 else { return nil }
            digitCount = count - 1
            fractionDigits = count - 1 - point
        }
        // Every byte a digit: the bytes after the last one are zeros, which are not.
        let leading =
            ASCIIDigits.leadingDigitCount(digitsLow) + (digitCount > 8 ? ASCIIDigits.leadingDigitCount(digitsHigh) : 0)
        guard leading == digitCount else { return nil }
        // Trailing zero digits: the last digit's byte moved to its word's top, each `0` a zero byte.
        let trailingZeros: Int
        if digitCount > 8 {
            let values = (digitsHigh ^ 0x3030_3030_3030_3030) &<< UInt64(truncatingIfNeeded: 8 * (16 - digitCount))
            trailingZeros =
                values != 0
                ? values.leadingZeroBitCount >> 3
                : digitCount - 8 + (digitsLow ^ 0x3030_3030_3030_3030).leadingZeroBitCount >> 3
        } else {
            let values = (digitsLow ^ 0x3030_3030_3030_3030) &<< UInt64(truncatingIfNeeded: 8 * (8 - digitCount))
            trailingZeros = min(values.leadingZeroBitCount >> 3, digitCount)
        }
        guard trailingZeros < digitCount else { return ExactDecimal(normalized: 0, exponent: 0) }
        let kept = digitCount - trailingZeros
        var magnitude = ASCIIDigits.value(of: digitsLow, count: min(kept, 8))
        if kept > 8 {
            magnitude =
                magnitude &* ASCIIDigits.powerOfTen(kept - 8) &+ ASCIIDigits.value(of: digitsHigh, count: kept - 8)
        }
        // At most 16 digits: below 2^63.
        let significand = Int64(bitPattern: magnitude)
        return ExactDecimal(
            normalized: Int128(negative ? -significand : significand),
            exponent: Int16(truncatingIfNeeded: trailingZeros - fractionDigits))
    }

    /// Whether `buffer` holds a number ``init(utf8:)-(UnsafeBufferPointer<UInt8>)`` reads: the
    /// same answer, found without working out the value for a plain number (a sign, 1–38 digits,
    /// at most one point), which is read eight bytes at a time; any other text is left to the
    /// parser. For a decoder checking a field it does not read yet.
    /// - Parameter buffer: The number's UTF-8 text, without surrounding whitespace.
    @inlinable
    public static func isNumber(utf8 buffer: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return false }
        let end = buffer.count
        var index = base[0] == UInt8(ascii: "-") ? 1 : 0
        let integerStart = index
        index = ASCIIDigits.endOfDigits(base, from: index, to: end)
        var digits = index - integerStart
        if index < end, base[index] == UInt8(ascii: ".") {
            let fractionStart = index + 1
            index = ASCIIDigits.endOfDigits(base, from: fractionStart, to: end)
            digits += index - fractionStart
        }
        // A plain number of at most 38 digits has at most 38 significant ones: always read.
        if index == end, digits > 0, digits <= 38 { return true }
        // The parser's pass for any text (out of line), which answers as `init(utf8:)` does.
        return ExactDecimal(scanningPlain: buffer) != nil
    }
}
