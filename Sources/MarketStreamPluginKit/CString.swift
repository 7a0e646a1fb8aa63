#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A NUL-terminated copy of `text` on the heap; the caller frees it with `free`.
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
package struct CStringInterner<Value> {
    private var entries: [(cString: UnsafeMutablePointer<CChar>, value: Value)] = []
    private let capacity: Int

    package init(capacity: Int = 32) { self.capacity = capacity }

    /// The value for `cString`, computing and remembering it on the first sight.
    package mutating func value(
        for cString: UnsafePointer<CChar>, make: (String) throws -> Value
    ) rethrows -> Value {
        for entry in entries where strcmp(entry.cString, cString) == 0 { return entry.value }
        let text = String(cString: cString)
        let value = try make(text)
        if entries.count < capacity { entries.append((makeCString(text), value)) }
        return value
    }

    /// Frees the copies.
    package mutating func removeAll() {
        for entry in entries { entry.cString.deallocate() }
        entries = []
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
