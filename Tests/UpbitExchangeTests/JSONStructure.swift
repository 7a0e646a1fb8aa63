/// The bytes of a JSON text that are structure (brackets, colons, commas, whitespace) rather than
/// the inside of a string: what the decoder tests cut frames at and space frames out with.
enum JSONStructure {
    /// Calls `body` with each byte of `json` and whether it lies outside every string; a string's
    /// quotes and escapes count as inside it.
    static func forEachByte(of json: some Sequence<UInt8>, _ body: (_ byte: UInt8, _ isStructure: Bool) -> Void) {
        var inString = false
        var escaped = false
        for byte in json {
            if inString {
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                }
                body(byte, false)
            } else if byte == UInt8(ascii: "\"") {
                inString = true
                body(byte, false)
            } else {
                body(byte, true)
            }
        }
    }
}
