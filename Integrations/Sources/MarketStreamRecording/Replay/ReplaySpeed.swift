/// How fast a ``ReplayExchange`` replays.
public enum ReplaySpeed: Sendable, Hashable {
    /// As the records arrived: a second of recording takes a second.
    case original
    /// `factor` times as fast (2: a recorded hour in half an hour).
    case scaled(Double)
    /// No waiting: the router's clock jumps from record to record.
    case asFastAsPossible
}

extension ReplaySpeed {
    /// The factors a scaled speed may have: from a thousandth (a recorded second takes over
    /// 16 minutes) to a million times as fast.
    public static let factors: ClosedRange<Double> = 0.001...1_000_000

    /// Checks that a scaled speed's factor is one of ``factors``.
    /// - Throws: ``RecordingError/invalidArgument(_:)`` otherwise.
    func validate() throws(RecordingError) {
        if case .scaled(let factor) = self, !Self.factors.contains(factor) {
            throw .invalidArgument("a replay speed must be a factor from 0.001 to 1000000, not \(factor)")
        }
    }

    /// How long replaying `nanoseconds` of recording takes; `nil` as fast as possible. A wait past
    /// what a `Duration` of nanoseconds holds (292 years) is that much.
    func wait(forRecorded nanoseconds: Int64) -> Duration? {
        switch self {
        case .original: .nanoseconds(nanoseconds)
        case .scaled(let factor):
            .nanoseconds(Int64(exactly: (Double(nanoseconds) / factor).rounded(.down)) ?? .max)
        case .asFastAsPossible: nil
        }
    }
}
