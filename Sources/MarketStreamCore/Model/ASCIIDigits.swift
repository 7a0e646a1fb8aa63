/// Eight ASCII bytes at a time (SWAR: "SIMD within a register"), for the number parsers of
/// exchange modules' decoders. Bytes are loaded little-endian: the first character is the lowest byte.
public enum ASCIIDigits {
    /// How many of the eight bytes in `word`, from the first, are the digits `0`–`9`.
    @inlinable @inline(__always)
    public static func leadingDigitCount(_ word: UInt64) -> Int {
        let shifted = word ^ 0x3030_3030_3030_3030
        // A byte is a digit exactly when its high nibble (after the xor) is zero and its low
        // nibble is below ten. A carry from a non-digit byte can only disturb later bytes.
        let notDigits = (shifted | (shifted &+ 0x0606_0606_0606_0606)) & 0xF0F0_F0F0_F0F0_F0F0
        return notDigits.trailingZeroBitCount >> 3
    }

    /// The index of the first byte at or after `start`, before `end`, that is not a digit (`end`
    /// when they all are), reading eight bytes at a time while eight remain.
    @inlinable @inline(__always)
    public static func endOfDigits(_ base: UnsafePointer<UInt8>, from start: Int, to end: Int) -> Int {
        var index = start
        while index + 8 <= end {
            let count = leadingDigitCount(UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self))
            index += count
            if count < 8 { return index }
        }
        guard index < end else { return index }
        guard end >= 8 else {
            while index < end, base[index] &- UInt8(ascii: "0") < 10 { index += 1 }
            return index
        }
        // The last eight bytes, those before `index` shifted out: zeros come in, which are not digits.
        let tail = UnsafeRawPointer(base + (end - 8)).loadUnaligned(as: UInt64.self)
        return index + leadingDigitCount(tail &>> UInt64(truncatingIfNeeded: 8 * (8 - (end - index))))
    }

    /// The value of the first `count` (1–8) digits in `word`.
    @inlinable @inline(__always)
    public static func value(of word: UInt64, count: Int) -> UInt64 {
        // Shift the digits to the top so the bytes below them read as leading zeros.
        var digits = (word & 0x0F0F_0F0F_0F0F_0F0F) &<< UInt64(truncatingIfNeeded: 64 - 8 * count)
        digits = (digits &* 10 &+ (digits >> 8)) & 0x00FF_00FF_00FF_00FF
        digits = (digits &* 100 &+ (digits >> 16)) & 0x0000_FFFF_0000_FFFF
        return (digits &* 10_000 &+ (digits >> 32)) & 0xFFFF_FFFF
    }

    /// 10 to the power `exponent` (0–8 from a table; a larger one is multiplied out).
    @inlinable @inline(__always)
    public static func powerOfTen(_ exponent: Int) -> UInt64 {
        switch exponent {
        case 0: 1
        case 1: 10
        case 2: 100
        case 3: 1_000
        case 4: 10_000
        case 5: 100_000
        case 6: 1_000_000
        case 7: 10_000_000
        case 8: 100_000_000
        default: (8..<exponent).reduce(100_000_000) { power, _ in power &* 10 }
        }
    }

    /// The high bit of each byte of `word` that equals `byte`, and no other bit.
    @inlinable @inline(__always)
    public static func bytes(equalTo byte: UInt8, in word: UInt64) -> UInt64 {
        let differences = word ^ (0x0101_0101_0101_0101 &* UInt64(byte))
        // A byte's low seven bits plus 0x7F carry into its high bit unless they are all zero.
        let low7 = 0x7F7F_7F7F_7F7F_7F7F as UInt64
        return ~(((differences & low7) &+ low7) | differences | low7)
    }
}
