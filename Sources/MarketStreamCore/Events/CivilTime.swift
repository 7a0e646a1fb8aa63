/// UTC calendar fields from epoch milliseconds, without Foundation (Howard Hinnant's algorithm).
public struct CivilTime: Sendable, Hashable {
    public var year: Int
    public var month: Int
    public var day: Int
    public var hour: Int
    public var minute: Int
    public var second: Int

    /// The calendar fields of an instant.
    /// - Parameters:
    ///   - milliseconds: Epoch milliseconds.
    ///   - offsetHours: The zone's offset from UTC (9 for KST).
    public init(milliseconds: Int64, offsetHours: Int = 0) {
        let totalSeconds = Int(milliseconds / 1_000) + offsetHours * 3_600
        let days = totalSeconds >= 0 ? totalSeconds / 86_400 : (totalSeconds - 86_399) / 86_400
        let secondsOfDay = totalSeconds - days * 86_400
        hour = secondsOfDay / 3_600
        minute = secondsOfDay % 3_600 / 60
        second = secondsOfDay % 60
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthPrime = (5 * dayOfYear + 2) / 153
        day = dayOfYear - (153 * monthPrime + 2) / 5 + 1
        month = monthPrime < 10 ? monthPrime + 3 : monthPrime - 9
        year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
    }

    /// Epoch milliseconds of a UTC calendar time (the inverse of ``init(milliseconds:offsetHours:)``).
    public static func epochMilliseconds(year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int)
        -> Int64
    {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        let days = era * 146_097 + dayOfEra - 719_468
        return Int64(days * 86_400 + hour * 3_600 + minute * 60 + second) * 1_000
    }

    /// Epoch milliseconds of `yyyy-MM-dd'T'HH:mm:ss` (a space for the `T` is accepted, and a
    /// fraction or zone after the seconds is ignored) in a zone `offsetHours` ahead of UTC; `nil`
    /// when the text is not such a time.
    public static func epochMilliseconds(isoDateTime text: String, offsetHours: Int = 0) -> Int64? {
        let bytes = Array(text.utf8.prefix(20))
        guard bytes.count >= 19 else { return nil }
        if bytes.count == 20, ![UInt8(ascii: "."), UInt8(ascii: "Z"), UInt8(ascii: "+")].contains(bytes[19]) {
            return nil
        }
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            for index in range {
                let byte = bytes[index]
                guard byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") else { return nil }
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
            }
            return value
        }
        guard bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
            bytes[10] == UInt8(ascii: "T") || bytes[10] == UInt8(ascii: " "), bytes[13] == UInt8(ascii: ":"),
            bytes[16] == UInt8(ascii: ":"), let year = number(0..<4), let month = number(5..<7),
            let day = number(8..<10), let hour = number(11..<13), let minute = number(14..<16),
            let second = number(17..<19), (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60,
            second < 61
        else { return nil }
        return epochMilliseconds(
            year: year, month: month, day: day, hour: hour - offsetHours, minute: minute, second: second)
    }

    private static func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }

    /// `yyyy-MM-dd`
    public var dashedDate: String { "\(year)-\(Self.two(month))-\(Self.two(day))" }
    /// `yyyyMMdd`
    public var compactDate: String { "\(year)\(Self.two(month))\(Self.two(day))" }
    /// `HH:mm:ss`
    public var colonTime: String { "\(Self.two(hour)):\(Self.two(minute)):\(Self.two(second))" }
    /// `HHmmss`
    public var compactTime: String { "\(Self.two(hour))\(Self.two(minute))\(Self.two(second))" }
    /// `yyyy-MM-dd'T'HH:mm:ss`
    public var isoDateTime: String { "\(dashedDate)T\(colonTime)" }
}
