import MarketStreamCore

/// A parsed REST response body. Numbers keep their text so money stays exact (Upbit's quotation
/// endpoints send prices as JSON numbers, its exchange endpoints as strings).
enum RESTJSON: Sendable {
    case object([String: RESTJSON])
    case array([RESTJSON])
    case string(String)
    case number(String)
    case bool(Bool)
    case null

    struct Malformed: Error {}

    /// Parses a whole body.
    static func parse(_ bytes: [UInt8]) throws(Malformed) -> RESTJSON {
        do {
            return try bytes.withUnsafeBufferPointer { buffer throws(JSONScanner.Failure) -> RESTJSON in
                var scanner = JSONScanner(buffer)
                let value = try parseValue(&scanner, depth: 0)
                scanner.skipWhitespace()
                guard scanner.isAtEnd else { throw JSONScanner.Failure() }
                return value
            }
        } catch {
            throw Malformed()
        }
    }

    private static func parseValue(_ scanner: inout JSONScanner, depth: Int) throws(JSONScanner.Failure) -> RESTJSON {
        guard depth < 32 else { throw JSONScanner.Failure() }
        switch try scanner.peek() {
        case UInt8(ascii: "{"):
            scanner.position += 1
            var members: [String: RESTJSON] = [:]
            if try scanner.consume(UInt8(ascii: "}")) { return .object(members) }
            repeat {
                let key = scanner.string(try scanner.stringRange())
                try scanner.expect(UInt8(ascii: ":"))
                members[key] = try parseValue(&scanner, depth: depth + 1)
            } while try scanner.consume(UInt8(ascii: ","))
            try scanner.expect(UInt8(ascii: "}"))
            return .object(members)
        case UInt8(ascii: "["):
            scanner.position += 1
            var elements: [RESTJSON] = []
            if try scanner.consume(UInt8(ascii: "]")) { return .array(elements) }
            repeat {
                elements.append(try parseValue(&scanner, depth: depth + 1))
            } while try scanner.consume(UInt8(ascii: ","))
            try scanner.expect(UInt8(ascii: "]"))
            return .array(elements)
        default:
            let (kind, range) = try scanner.value()
            switch kind {
            case .string: return .string(scanner.string(range))
            case .number: return .number(scanner.string(range))
            case .true: return .bool(true)
            case .false: return .bool(false)
            case .null: return .null
            case .object, .array: throw JSONScanner.Failure()
            }
        }
    }

    subscript(key: String) -> RESTJSON? {
        if case .object(let members) = self { return members[key] }
        return nil
    }

    var elements: [RESTJSON]? {
        if case .array(let elements) = self { return elements }
        return nil
    }

    var text: String? {
        switch self {
        case .string(let text), .number(let text): text
        default: nil
        }
    }

    /// A decimal from a number or a numeric string.
    var decimal: ExactDecimal? { text.flatMap(ExactDecimal.init) }

    var int64: Int64? {
        guard let text else { return nil }
        if let value = Int64(text) { return value }
        // Upbit writes some integers with a fraction of zeros (`1790134742051.0`).
        let parts = text.split(separator: ".", maxSplits: 1)
        guard parts.count == 2, parts[1].allSatisfy({ $0 == "0" }) else { return nil }
        return Int64(parts[0])
    }

    var bool: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }
}
