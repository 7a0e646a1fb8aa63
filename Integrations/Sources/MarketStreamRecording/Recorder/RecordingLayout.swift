import Foundation

/// Where a recorder puts its files: `<directory>/<venue>/<yyyy-MM-dd>/<HH>.msr.zst`, one per UTC
/// hour (`<HH>-1.msr.zst`, … when the hour's file already exists, as after a restart).
struct RecordingLayout: Sendable {
    let directory: String
    let venue: String

    static let nanosecondsPerHour: Int64 = 3_600_000_000_000

    /// The hour a receive time falls in (hours since 1970).
    static func hour(of nanoseconds: Int64) -> Int64 { nanoseconds / nanosecondsPerHour }

    /// A path for `hour` that no finished or open file has.
    func path(for hour: Int64) -> String {
        let date = Date(timeIntervalSince1970: TimeInterval(hour * 3_600))
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.year, .month, .day, .hour], from: date)
        let day = String(format: "%04d-%02d-%02d", parts.year ?? 0, parts.month ?? 0, parts.day ?? 0)
        let base = "\(directory)/\(venue)/\(day)/" + String(format: "%02d", parts.hour ?? 0)
        var candidate = base + ".msr.zst"
        var attempt = 0
        let files = FileManager.default
        while files.fileExists(atPath: candidate) || files.fileExists(atPath: candidate + ".partial") {
            attempt += 1
            candidate = "\(base)-\(attempt).msr.zst"
        }
        return candidate
    }
}
