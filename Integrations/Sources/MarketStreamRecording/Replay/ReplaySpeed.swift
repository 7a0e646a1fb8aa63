/// How fast a ``ReplayExchange`` replays.
public enum ReplaySpeed: Sendable, Hashable {
    /// As the records arrived: a second of recording takes a second.
    case original
    /// `factor` times as fast (2: a recorded hour in half an hour).
    case scaled(Double)
    /// No waiting: the router's clock jumps from record to record.
    case asFastAsPossible
}
