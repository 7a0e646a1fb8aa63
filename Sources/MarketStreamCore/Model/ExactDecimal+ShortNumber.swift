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
        } else {
            var word: UInt64 = 0
            for index in 0..<count { word |= UInt64(start[index]) &<< UInt64(truncatingIfNeeded: 8 * index) }
            low = word
            high = 0
        }
        let text = UInt128(high) &<< 64 | UInt128(low)
        // At most one point, with a digit on each side (`1.` and `.5` go to the general parser).
        let pointsLow = ASCIIDigits.bytes(equalTo: UInt8(ascii: "."), in: low)
        let pointsHigh = ASCIIDigits.bytes(equalTo: UInt8(ascii: "."), in: high)
        let digits: UInt128
        let digitCount: Int
        let fractionDigits: Int
        if pointsLow | pointsHigh == 0 {
            digits = text
            digitCount = count
            fractionDigits = 0
        } else {
            // Exactly one point (a word holds a single high bit only when `x & (x - 1)` is zero).
            let points = pointsLow | pointsHigh
            guard (pointsLow == 0) != (pointsHigh == 0), points & (points &- 1) == 0 else { return nil }
            let point =
                pointsLow != 0 ? pointsLow.trailingZeroBitCount >> 3 : 8 + pointsHigh.trailingZeroBitCount >> 3
            guard point > 0, point < count - 1 else { return nil }
            let below = (UInt128(1) &<< UInt128(truncatingIfNeeded: 8 * point)) &- 1
            digits = text & below | (text >> 8) & ~below
            digitCount = count - 1
            fractionDigits = count - 1 - point
        }
        let digitsLow = UInt64(truncatingIfNeeded: digits)
        let digitsHigh = UInt64(truncatingIfNeeded: digits >> 64)
        // Every byte a digit: the bytes after the last one are zeros, which are not.
        let leading =
            ASCIIDigits.leadingDigitCount(digitsLow) + (digitCount > 8 ? ASCIIDigits.leadingDigitCount(digitsHigh) : 0)
        guard leading == digitCount else { return nil }
        // Trailing zero digits: the digits' top byte moved to the word's top, each `0` a zero byte.
        let values =
            (digits ^ 0x3030_3030_3030_3030_3030_3030_3030_3030) &<< UInt128(truncatingIfNeeded: 8 * (16 - digitCount))
        let trailingZeros = min(values.leadingZeroBitCount >> 3, digitCount)
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
}
