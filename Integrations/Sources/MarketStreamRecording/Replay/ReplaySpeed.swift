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
    /// Checks that a scaled speed is a positive, finite factor.
    /// - Throws: ``RecordingError/invalidArgument(_:)`` otherwise.
    func validate() throws(RecordingError) {
        if case .scaled(let factor) = self, !(factor.isFinite && factor > 0) {
            throw .invalidArgument("a replay speed must be a positive factor, not \(factor)")
        }
    }

    /// How long replaying `nanoseconds` of recording takes; `nil` as fast as possible.
    func wait(forRecorded nanoseconds: Int64) -> Duration? {
        switch self {
        case .original: .nanoseconds(nanoseconds)
        case .scaled(let factor): .nanoseconds(Int64(Double(nanoseconds) / factor))
        case .asFastAsPossible: nil
        }
    }
}
