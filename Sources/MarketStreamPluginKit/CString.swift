#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A NUL-terminated copy of `text` on the heap; the caller frees it with `deallocate()`.
@inlinable
package func makeCString(_ text: String) -> UnsafeMutablePointer<CChar> {
    let utf8 = Array(text.utf8)
    let pointer = UnsafeMutablePointer<CChar>.allocate(capacity: utf8.count + 1)
    for (offset, byte) in utf8.enumerated() { pointer[offset] = CChar(bitPattern: byte) }
    pointer[utf8.count] = 0
    return pointer
}

/// Interns C strings: each distinct text is converted once, later lookups compare bytes.
///
/// Used for kind names and field names that cross the ABI on every event: the pointer may be
/// reused by the other side with new contents, so a hit is confirmed with `strcmp`.
///
/// Inlinable so that each module gets a specialised copy: unspecialised generic code here cost
/// more than the plugin call itself.
package struct CStringInterner<Value> {
    package var cStrings: [UnsafeMutablePointer<CChar>] = []
    package var values: [Value] = []
    package let capacity: Int

    @inlinable
    package init(capacity: Int = 32) { self.capacity = capacity }

    /// The value for `cString`, computing and remembering it on the first sight.
    /// - Parameters:
    ///   - cString: The text.
    ///   - hint: Where to look first (names usually come in the same order every time).
    ///   - make: Computes the value on the first sight.
    @inlinable
    package mutating func value(
        for cString: UnsafePointer<CChar>, hint: Int = 0, make: (String) throws -> Value
    ) rethrows -> Value {
        if hint < cStrings.count, strcmp(cStrings[hint], cString) == 0 { return values[hint] }
        for index in cStrings.indices where strcmp(cStrings[index], cString) == 0 { return values[index] }
        let text = String(cString: cString)
        let value = try make(text)
        if cStrings.count < capacity {
            cStrings.append(makeCString(text))
            values.append(value)
        }
        return value
    }

    /// Frees the copies.
    @inlinable
    package mutating func removeAll() {
        for cString in cStrings { cString.deallocate() }
        cStrings = []
        values = []
    }
}

/// One owned C string that can be replaced, such as a plugin's last error message.
package struct CStringSlot {
    package private(set) var pointer: UnsafeMutablePointer<CChar>?

    package init() {}

    /// Replaces the string.
    package mutating func set(_ text: String) {
        pointer?.deallocate()
        pointer = makeCString(text)
    }

    /// Frees the string.
    package mutating func clear() {
        pointer?.deallocate()
        pointer = nil
    }
}
