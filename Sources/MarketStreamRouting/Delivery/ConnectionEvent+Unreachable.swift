import MarketStreamCore

extension ConnectionEvent {
    /// Failed tries in a row after which a program that has received nothing from a channel yet
    /// treats it as unreachable and ends with one line (`marketstream watch`,
    /// `marketstream-gateway watch`); a long-running program's router keeps retrying instead.
    public static let unreachableAfterAttempts = 3

    /// Why the channel could not be reached, when this event is the
    /// ``unreachableAfterAttempts``-th failed try in a row or a later one; `nil` for any other
    /// event.
    public var unreachableReason: MarketStreamError? {
        guard case .reconnecting(let attempt, _, let reason) = kind, attempt >= Self.unreachableAfterAttempts else {
            return nil
        }
        return reason
    }
}
