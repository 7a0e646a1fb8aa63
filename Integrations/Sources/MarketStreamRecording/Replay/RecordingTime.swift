import MarketStreamCore

/// A moment of a recording as a command line names it (`--from`, `--to`): a UTC time in ISO 8601,
/// or epoch milliseconds, as `replay` prints receive times (`received=1796461662703ms`).
public enum RecordingTime {
    /// The forms ``parse(_:)`` reads, for error messages.
    public static let forms =
        "a UTC time such as 2026-12-05T09:30:00Z (a fraction of a second may follow the seconds) or epoch milliseconds"

    /// The first moment `text` names; `nil` when it is not one of the ``forms``.
    ///
    /// - `2026-12-05T09:30:00Z`, `2026-12-05T09:30:00.250Z` (up to nine fraction digits), or either
    ///   without the `Z`: UTC. A zone offset (`+09:00`) is refused rather than guessed at.
    /// - `1796461662703`: milliseconds since 1970.
    public static func parse(_ text: String) -> UnixTime? {
        span(text).map { UnixTime(nanoseconds: $0.start) }
    }

    /// The last moment `text` names (its whole millisecond, second or last fraction digit), for
    /// an end that includes what a printed time shows: `--to 1796461662703` includes an event
    /// printed as `received=1796461662703ms`, received 0.4 ms into that millisecond.
    public static func parseEnd(_ text: String) -> UnixTime? {
        span(text).map { UnixTime(nanoseconds: $0.start + $0.length - 1) }
    }

    /// The receive-time range of a replay's `--from` and `--to` flags (either may be absent):
    /// `--from`'s first moment up to `--to`'s last (``parseEnd(_:)``).
    /// - Throws: ``RecordingError/invalidArgument(_:)`` naming the flag whose text is not a time,
    ///   or ``window(from:to:)``'s when `--to` is before `--from`.
    public static func range(from: String?, to: String?) throws(RecordingError) -> (from: UnixTime?, to: UnixTime?) {
        var start: UnixTime?
        var end: UnixTime?
        if let from {
            guard let time = parse(from) else { throw .invalidArgument("--from '\(from)' is not \(forms)") }
            start = time
        }
        if let to {
            guard let time = parseEnd(to) else { throw .invalidArgument("--to '\(to)' is not \(forms)") }
            end = time
        }
        _ = try window(from: start, to: end)
        return (start, end)
    }

    /// The receive times (nanoseconds) from `from` to `to`, either end open when absent.
    /// - Throws: ``RecordingError/invalidArgument(_:)`` when `to` is before `from`.
    static func window(from: UnixTime?, to: UnixTime?) throws(RecordingError) -> ClosedRange<Int64> {
        let start = from?.nanoseconds ?? .min
        let end = to?.nanoseconds ?? .max
        guard start <= end else { throw .invalidArgument("the time range ends (to) before it starts (from)") }
        return start...end
    }

    /// Where the span `text` names starts and how long it is, in nanoseconds.
    private static func span(_ text: String) -> (start: Int64, length: Int64)? {
        let bytes = Array(text.utf8)
        guard !bytes.isEmpty else { return nil }
        if bytes.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) {
            guard let milliseconds = Int64(text), let start = nanoseconds(milliseconds: milliseconds) else {
                return nil
            }
            return (start, 1_000_000)
        }
        guard bytes.count >= 19, let milliseconds = CivilTime.epochMilliseconds(isoDateTime: text) else { return nil }
        // The calendar day must exist (no 31 February): it reads back the same.
        let civil = CivilTime(milliseconds: milliseconds)
        guard civil.dashedDate == String(decoding: bytes[0..<10], as: UTF8.self) else { return nil }
        var rest = bytes[19...]
        var fraction: Int64 = 0
        var length: Int64 = 1_000_000_000
        if rest.first == UInt8(ascii: ".") {
            rest = rest.dropFirst()
            let digits = rest.prefix { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
            guard (1...9).contains(digits.count) else { return nil }
            for digit in digits {
                fraction = fraction * 10 + Int64(digit - UInt8(ascii: "0"))
                length /= 10
            }
            fraction *= length
            rest = rest.dropFirst(digits.count)
        }
        if rest.first == UInt8(ascii: "Z") { rest = rest.dropFirst() }
        guard rest.isEmpty, let start = nanoseconds(milliseconds: milliseconds) else { return nil }
        return (start + fraction, length)
    }

    /// `milliseconds` in nanoseconds, when the span it starts fits a ``UnixTime`` (until 2262).
    private static func nanoseconds(milliseconds: Int64) -> Int64? {
        let (value, overflow) = milliseconds.multipliedReportingOverflow(by: 1_000_000)
        guard !overflow, value <= Int64.max - 1_000_000_000 else { return nil }
        return value
    }
}
