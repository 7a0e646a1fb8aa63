import MarketStreamCore

/// A forward-only JSON tokenizer over raw bytes, for the decode hot path: it never allocates and
/// hands out byte ranges instead of strings.
///
/// Each venue module compiles this file as its own internal type (`Sources/BinanceExchange`
/// links to it): measured, the same scanner shared from `MarketStreamCore` as `@inlinable`
/// package API decoded Upbit frames 12–17 % slower than a module-internal one.
struct JSONScanner: ~Copyable {
    enum ValueKind: UInt8 {
        case string, number, `true`, `false`, null, object, array
    }

    struct Failure: Error {}

    let bytes: UnsafeBufferPointer<UInt8>
    var position: Int
    /// Whether a number was read past the plain form (a sign, digits, at most one point): until
    /// one is, every number value read is of that form, which a decoder may then check by its
    /// length alone (``numberTail(start:)`` sets it).
    private(set) var readNumberTail = false

    init(_ bytes: UnsafeBufferPointer<UInt8>, position: Int = 0) {
        self.bytes = bytes
        self.position = position
    }

    var isAtEnd: Bool { position >= bytes.count }

    @inline(__always)
    mutating func skipWhitespace() {
        // Exchanges send compact JSON: the first byte is almost never whitespace.
        guard position < bytes.count, bytes[position] <= 0x20 else { return }
        while position < bytes.count {
            switch bytes[position] {
            case 0x20, 0x09, 0x0A, 0x0D: position += 1
            default: return
            }
        }
    }

    /// The next non-whitespace byte, not consumed.
    @inline(__always)
    mutating func peek() throws(Failure) -> UInt8 {
        skipWhitespace()
        guard position < bytes.count else { throw Failure() }
        return bytes[position]
    }

    @inline(__always)
    mutating func expect(_ byte: UInt8) throws(Failure) {
        guard try peek() == byte else { throw Failure() }
        position += 1
    }

    /// Consumes `byte` if it is next.
    @inline(__always)
    mutating func consume(_ byte: UInt8) throws(Failure) -> Bool {
        guard try peek() == byte else { return false }
        position += 1
        return true
    }

    /// A string's content range (escapes left in place), after its opening quote was seen.
    @inline(__always)
    mutating func stringRange() throws(Failure) -> Range<Int> {
        try expect(UInt8(ascii: "\""))
        let start = position
        // Locals, not `self`'s stored properties, so the loop runs in registers.
        guard let base = bytes.baseAddress else { throw Failure() }
        let end = bytes.count
        var index = start
        // Eight bytes at a time to the first quote or backslash.
        while index + 8 <= end {
            let word = UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self)
            let stops = Self.zeroBytes(word ^ 0x2222_2222_2222_2222) | Self.zeroBytes(word ^ 0x5C5C_5C5C_5C5C_5C5C)
            if stops == 0 {
                index += 8
                continue
            }
            index += stops.trailingZeroBitCount >> 3
            break
        }
        while index < end {
            let byte = base[index]
            if byte == UInt8(ascii: "\"") {
                position = index + 1
                return start..<index
            }
            index += byte == UInt8(ascii: "\\") ? 2 : 1
        }
        throw Failure()
    }

    /// The high bit of each byte of `word` that is zero, and possibly of bytes above one that is
    /// (a borrow): the lowest bit set always marks the first zero byte.
    @inline(__always)
    static func zeroBytes(_ word: UInt64) -> UInt64 {
        (word &- 0x0101_0101_0101_0101) & ~word & 0x8080_8080_8080_8080
    }

    /// The range and kind of the next value; objects and arrays are skipped whole.
    ///
    /// Strings and plain numbers (a sign, digits, at most one point), nearly every value a venue
    /// sends, are read here; the rest (objects, arrays, literals, exponents) in
    /// ``otherValue(_:start:)`` and ``numberTail(start:)``, kept out of line so that this stays small.
    @inline(__always)
    mutating func value() throws(Failure) -> (ValueKind, Range<Int>) {
        let first = try peek()
        let start = position
        if first == UInt8(ascii: "\"") { return (.string, try stringRange()) }
        guard first &- UInt8(ascii: "0") < 10 || first == UInt8(ascii: "-") else {
            return try otherValue(first, start: start)
        }
        // A sign, then digits eight at a time: they are nearly every byte of a number.
        if first == UInt8(ascii: "-") { position += 1 }
        skipDigits()
        if position < bytes.count, bytes[position] == UInt8(ascii: ".") {
            position += 1
            skipDigits()
        }
        if position < bytes.count, Self.continuesNumber(bytes[position]) { return numberTail(start: start) }
        return (.number, start..<position)
    }

    /// Whether `byte`, after a number's digits, can go on with it: `+`, `-`, `.`, `e` or `E`.
    @inline(__always)
    static func continuesNumber(_ byte: UInt8) -> Bool {
        // `+` `,` `-` `.` are 0x2B–0x2E: all but the comma.
        byte | 0x20 == UInt8(ascii: "e") || (byte &- UInt8(ascii: "+") < 4 && byte != UInt8(ascii: ","))
    }

    /// The rest of a number from `start` that goes on past its digits and point (an exponent, or
    /// bytes a number cannot hold, left to the number's parser to refuse).
    @inline(never)
    private mutating func numberTail(start: Int) -> (ValueKind, Range<Int>) {
        readNumberTail = true
        while position < bytes.count,
            bytes[position] &- UInt8(ascii: "0") < 10 || Self.continuesNumber(bytes[position])
        {
            position += 1
        }
        return (.number, start..<position)
    }

    /// A value that is not a string or a plain number: an object or array (skipped whole), a
    /// literal, or bytes read as a number, up to those a number cannot hold.
    @inline(never)
    private mutating func otherValue(_ first: UInt8, start: Int) throws(Failure) -> (ValueKind, Range<Int>) {
        switch first {
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            try skipContainer()
            return (first == UInt8(ascii: "{") ? .object : .array, start..<position)
        case UInt8(ascii: "t"):
            try literal(Self.trueBytes, count: 4)
            return (.true, start..<position)
        case UInt8(ascii: "f"):
            try literal(Self.falseBytes, count: 5)
            return (.false, start..<position)
        case UInt8(ascii: "n"):
            try literal(Self.nullBytes, count: 4)
            return (.null, start..<position)
        default:
            let number = numberTail(start: start)
            guard position > start else { throw Failure() }
            return number
        }
    }

    @inline(__always)
    private mutating func skipDigits() {
        guard let base = bytes.baseAddress else { return }
        position = ASCIIDigits.endOfDigits(base, from: position, to: bytes.count)
    }

    /// `true`, `false` and `null` as little-endian words, the first byte lowest.
    @inline(__always) static var trueBytes: UInt64 { 0x6575_7274 }
    @inline(__always) static var falseBytes: UInt64 { 0x65_736C_6166 }
    @inline(__always) static var nullBytes: UInt64 { 0x6C6C_756E }

    /// Consumes the literal of `count` (4 or 5) bytes whose bytes `word` holds, compared as one
    /// word rather than byte by byte.
    private mutating func literal(_ word: UInt64, count: Int) throws(Failure) {
        guard position + count <= bytes.count, let base = bytes.baseAddress else { throw Failure() }
        var read = UInt64(UnsafeRawPointer(base + position).loadUnaligned(as: UInt32.self))
        if count > 4 { read |= UInt64(base[position + 4]) << 32 }
        guard read == word else { throw Failure() }
        position += count
    }

    private mutating func skipContainer() throws(Failure) {
        var depth = 0
        var inString = false
        while position < bytes.count {
            let byte = bytes[position]
            position += 1
            if inString {
                if byte == UInt8(ascii: "\\") {
                    position += 1
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                depth -= 1
                if depth == 0 { return }
            default: break
            }
        }
        throw Failure()
    }

    /// Reads the object at the scanner, `{` to `}`, calling `body` with each member's key range
    /// (escapes left in place), value kind and value range, and the scanner to read them with;
    /// nested values are skipped whole.
    @inline(__always)
    mutating func forEachMember<BodyFailure: Error>(
        _ body: (_ key: Range<Int>, _ kind: ValueKind, _ value: Range<Int>, _ scanner: borrowing JSONScanner)
            throws(BodyFailure) -> Void
    ) throws {
        try expect(UInt8(ascii: "{"))
        if try consume(UInt8(ascii: "}")) { return }
        repeat {
            let key = try stringRange()
            try expect(UInt8(ascii: ":"))
            let (kind, range) = try self.value()
            try body(key, kind, range, self)
        } while try consume(UInt8(ascii: ","))
        try expect(UInt8(ascii: "}"))
    }

    /// Whether `range` holds exactly `text`.
    @inline(__always)
    func equals(_ range: Range<Int>, _ text: StaticString) -> Bool {
        guard range.count == text.utf8CodeUnitCount else { return false }
        let start = text.utf8Start
        for index in 0..<range.count where bytes[range.lowerBound + index] != start[index] { return false }
        return true
    }

    func decimal(_ range: Range<Int>) -> ExactDecimal? {
        ExactDecimal(utf8: UnsafeBufferPointer(rebasing: bytes[range]))
    }

    /// The integer `range` holds (a fraction of zeros allowed); `nil` for any other text or one
    /// that does not fit.
    func int64(_ range: Range<Int>) -> Int64? {
        if let short = shortInt64(range) { return short }
        return int64DigitByDigit(range)
    }

    /// ``int64(_:)`` for any text, one digit at a time.
    func int64DigitByDigit(_ range: Range<Int>) -> Int64? {
        var value: Int64 = 0
        var index = range.lowerBound
        var negative = false
        if index < range.upperBound, bytes[index] == UInt8(ascii: "-") {
            negative = true
            index += 1
        }
        guard index < range.upperBound else { return nil }
        while index < range.upperBound {
            let byte = bytes[index]
            // Upbit writes some integers with a fraction of zeros (`1790134742051.0`).
            if byte == UInt8(ascii: ".") {
                for rest in (index + 1)..<range.upperBound where bytes[rest] != UInt8(ascii: "0") { return nil }
                break
            }
            guard byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") else { return nil }
            let (times, o1) = value.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times.addingReportingOverflow(Int64(byte - UInt8(ascii: "0")))
            guard !o1 && !o2 else { return nil }
            value = sum
            index += 1
        }
        return negative ? -value : value
    }

    /// An integer of 8–18 digits after its sign that fills `range` (a time in milliseconds, a
    /// trade's id), read eight digits at a time; `nil` for any other text, which ``int64(_:)``
    /// then reads digit by digit.
    @inline(__always)
    func shortInt64(_ range: Range<Int>) -> Int64? {
        guard let base = bytes.baseAddress, range.upperBound <= bytes.count, !range.isEmpty else { return nil }
        let negative = base[range.lowerBound] == UInt8(ascii: "-")
        let start = negative ? range.lowerBound + 1 : range.lowerBound
        let count = range.upperBound - start
        guard count >= 8, count <= 18 else { return nil }
        let text = UnsafeRawPointer(base + start)
        var magnitude: UInt64 = 0
        var offset = 0
        while count - offset >= 8 {
            let word = text.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
            guard ASCIIDigits.leadingDigitCount(word) == 8 else { return nil }
            magnitude = magnitude &* 100_000_000 &+ ASCIIDigits.value(of: word, count: 8)
            offset += 8
        }
        let rest = count - offset
        if rest > 0 {
            // The last eight bytes, those read already shifted out: the digits after them.
            let tail =
                text.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self)
                &>> UInt64(truncatingIfNeeded: 8 * (8 - rest))
            guard ASCIIDigits.leadingDigitCount(tail) == rest else { return nil }
            magnitude = magnitude &* ASCIIDigits.powerOfTen(rest) &+ ASCIIDigits.value(of: tail, count: rest)
        }
        // At most 18 digits: below 2^63.
        let value = Int64(bitPattern: magnitude)
        return negative ? -value : value
    }

    func string(_ range: Range<Int>) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self)
    }
}
