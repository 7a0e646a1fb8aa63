import MarketStreamCore

/// Where the one pass over an object puts each member's value, for the payload builders to read.
extension UpbitFrameDecoder {
    /// A member's value as the pass found it: its kind and where its bytes are.
    typealias Slot = (kind: JSONScanner.ValueKind, range: Range<Int>)

    /// A ``Slot`` as kept: 12 bytes, so one object's slots fit the stack.
    struct StoredSlot {
        var start: UInt32
        var end: UInt32
        var kind: JSONScanner.ValueKind
    }

    /// Slots for every field: at least `UpbitField.count`, and a constant (not a stored `static
    /// let`, which is read at run time), so that Swift keeps them on the stack: a temporary
    /// allocation of up to 1 KiB whose size is known when compiling.
    @inline(__always)
    static var slotCapacity: Int { 84 }

    /// Calls `body` with empty slots for one object's fields.
    @inline(__always)
    func withSlots<Result>(bytes: UnsafeBufferPointer<UInt8>, _ body: (inout Slots) throws -> Result) rethrows
        -> Result
    {
        try withUnsafeTemporaryAllocation(of: StoredSlot?.self, capacity: Self.slotCapacity) { storage in
            storage.initialize(repeating: nil)
            var slots = Slots(storage: storage, bytes: bytes)
            return try body(&slots)
        }
    }

    /// The value of each field of one object (indexed by `UpbitField.rawValue`).
    struct Slots: ~Copyable {
        private let storage: UnsafeMutableBufferPointer<StoredSlot?>
        let bytes: UnsafeBufferPointer<UInt8>
        /// Whether every number value of the object is plain (a sign, digits, at most one point:
        /// the scanner read none past that form), so that ``checkDecimal(_:)`` may check one by
        /// its length alone.
        var numbersArePlain = false

        /// - Parameter storage: At least `UpbitField.count` slots (``UpbitKeyTables`` checks
        ///   ``slotCapacity`` once per process).
        init(storage: UnsafeMutableBufferPointer<StoredSlot?>, bytes: UnsafeBufferPointer<UInt8>) {
            self.storage = storage
            self.bytes = bytes
        }

        @inline(__always)
        subscript(field: UpbitField) -> Slot? {
            guard let slot = storage[field.rawValue] else { return nil }
            return (slot.kind, Int(slot.start)..<Int(slot.end))
        }

        /// Records a member's value. Its byte positions are below 2^32: the decoder refuses
        /// larger frames.
        @inline(__always)
        mutating func set(_ field: UpbitField, _ kind: JSONScanner.ValueKind, _ range: Range<Int>) {
            storage[field.rawValue] = StoredSlot(
                start: UInt32(truncatingIfNeeded: range.lowerBound), end: UInt32(truncatingIfNeeded: range.upperBound),
                kind: kind)
        }

        /// Forgets the members of `table`'s fields (the only ones its objects set), for the next
        /// object of an array.
        @inline(__always)
        mutating func clear(_ table: UpbitKeyTable) { table.forEachField { storage[$0.rawValue] = nil } }

        @inline(__always)
        func decimal(_ field: UpbitField) throws(DecodeFailure) -> ExactDecimal {
            guard let slot = self[field] else { throw .malformed("missing field \(field)") }
            guard slot.kind == .number || slot.kind == .string,
                let value = ExactDecimal(utf8: UnsafeBufferPointer(rebasing: bytes[slot.range]))
            else { throw .malformed("field \(field) is not a number") }
            return value
        }

        /// Checks that `field` holds a number ``decimal(_:)`` reads, failing as it would, without
        /// working out the value (a field only the venue's deferred payload reads).
        @inline(__always)
        func checkDecimal(_ field: UpbitField) throws(DecodeFailure) {
            guard let slot = self[field] else { throw .malformed("missing field \(field)") }
            // A plain number of 3–38 bytes has 1–38 digits (a sign and a point at most besides):
            // one the parser reads.
            if numbersArePlain, slot.kind == .number, slot.range.count >= 3, slot.range.count <= 38 { return }
            guard slot.kind == .number || slot.kind == .string,
                ExactDecimal.isNumber(utf8: UnsafeBufferPointer(rebasing: bytes[slot.range]))
            else { throw .malformed("field \(field) is not a number") }
        }

        /// ``checkDecimal(_:)`` for a field that may be missing or `null`, as
        /// ``optionalDecimal(_:)`` reads it.
        @inline(__always)
        func checkOptionalDecimal(_ field: UpbitField) throws(DecodeFailure) {
            guard let slot = self[field], slot.kind != .null else { return }
            try checkDecimal(field)
        }

        @inline(__always)
        func optionalDecimal(_ field: UpbitField) throws(DecodeFailure) -> ExactDecimal? {
            guard let slot = self[field], slot.kind != .null else { return nil }
            return try decimal(field)
        }

        @inline(__always)
        func int64(_ field: UpbitField) throws(DecodeFailure) -> Int64 {
            guard let slot = self[field], slot.kind == .number else {
                throw .malformed("missing or non-integer \(field)")
            }
            let scanner = JSONScanner(bytes)
            guard let value = scanner.int64(slot.range) else {
                throw .malformed("field \(field) is not a 64-bit integer")
            }
            return value
        }

        @inline(__always)
        func optionalInt64(_ field: UpbitField) throws(DecodeFailure) -> Int64? {
            guard let slot = self[field], slot.kind != .null else { return nil }
            return try int64(field)
        }

        @inline(__always)
        func string(_ field: UpbitField) throws(DecodeFailure) -> String {
            guard let slot = self[field], slot.kind == .string else {
                throw .malformed("missing or non-string \(field)")
            }
            // Written in place: for the short strings a venue sends (dates, times, states) this
            // makes a small string with no intermediate step.
            let text = UnsafeBufferPointer(rebasing: bytes[slot.range])
            return String(unsafeUninitializedCapacity: text.count) { buffer in
                _ = buffer.initialize(fromContentsOf: text)
                return text.count
            }
        }

        /// Checks that `field` holds a string, failing as ``string(_:)`` would, without making one.
        @inline(__always)
        func checkString(_ field: UpbitField) throws(DecodeFailure) {
            guard let slot = self[field], slot.kind == .string else {
                throw .malformed("missing or non-string \(field)")
            }
        }

        /// ``checkString(_:)`` for a field that may be missing or `null`, as ``optionalString(_:)``
        /// reads it.
        @inline(__always)
        func checkOptionalString(_ field: UpbitField) throws(DecodeFailure) {
            guard let slot = self[field], slot.kind != .null else { return }
            try checkString(field)
        }

        @inline(__always)
        func optionalString(_ field: UpbitField) throws(DecodeFailure) -> String? {
            guard let slot = self[field], slot.kind != .null else { return nil }
            return try string(field)
        }

        @inline(__always)
        func optionalBool(_ field: UpbitField) throws(DecodeFailure) -> Bool? {
            guard let slot = self[field] else { return nil }
            switch slot.kind {
            case .true: return true
            case .false: return false
            case .null: return nil
            default: throw .malformed("field \(field) is not a boolean")
            }
        }

        @inline(__always)
        func equals(_ field: UpbitField, _ text: StaticString) -> Bool {
            guard let slot = self[field], slot.kind == .string else { return false }
            return JSONScanner(bytes).equals(slot.range, text)
        }
    }
}
