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
