/// Checks a flag that gives a number of seconds: finite, positive and at most a year, so that
/// `nan`, `inf` and `1e300` are one-line usage errors instead of crashes when turned into a duration.
enum SecondsFlag {
    static let largest = 31_536_000.0

    static func check(_ value: Double?, _ flag: String) throws {
        guard let value else { return }
        guard value.isFinite, value > 0, value <= largest else {
            throw UsageError("\(flag) must be a number of seconds above 0 and at most \(Int(largest))")
        }
    }
}
