import MarketStreamCore

/// What a subscription yields: market data, or news about the connection behind it.
public enum FeedEvent: Sendable, CustomStringConvertible {
    /// A market or account event.
    case market(MarketEvent)
    /// The connection carrying this subscription changed state (reconnecting, restored, …).
    /// (Boxed: a `FeedEvent` is one reference wide, so queues and logs move a word per event.)
    indirect case connection(ConnectionEvent)

    /// The market event, if this is one.
    public var marketEvent: MarketEvent? {
        if case .market(let event) = self { return event }
        return nil
    }

    public var description: String {
        switch self {
        case .market(let event): event.description
        case .connection(let event): event.description
        }
    }
}

/// A change of an exchange channel's connection, delivered to that channel's subscribers so that
/// a reconnect is never a silent gap.
public struct ConnectionEvent: Sendable, Hashable, CustomStringConvertible {
    /// What happened.
    public enum Kind: Sendable, Hashable {
        /// The connection is up and the full subscription set has been restored.
        case restored
        /// The connection was lost (`reason` says why: `.connectionStalled`, `.connectionClosed`,
        /// `.rateLimited`, …); the next attempt starts after `delay`.
        case reconnecting(attempt: Int, delay: Duration, reason: MarketStreamError)
        /// The exchange reported an error on this channel.
        case exchangeError(MarketStreamError)
        /// Subscribers are now served by the stream or, while it is unavailable, by REST polling.
        case modeChanged(ChannelDataMode)
        /// A REST poll failed while the channel was served by polling; the next poll follows.
        case pollFailed(MarketStreamError)
        /// The exchange module lost `topic`'s sequence (Binance's book update ids skipped) and is
        /// rebuilding it from a fresh snapshot: the events before and after do not follow on.
        case resynchronizing(SubscriptionTopic, reason: String)
    }

    /// The channel.
    public var channel: ChannelKey
    /// The connection generation the event refers to (the new one for `restored`).
    public var generation: ConnectionGeneration
    /// What happened.
    public var kind: Kind

    public var description: String {
        switch kind {
        case .restored:
            "\(channel) restored (generation \(generation))"
        case .reconnecting(let attempt, let delay, let reason):
            "\(channel) reconnecting: attempt \(attempt) in \(delay) after \(reason)"
        case .exchangeError(let error):
            "\(channel) exchange error: \(error.message)"
        case .pollFailed(let error):
            "\(channel) REST poll failed: \(error)"
        case .modeChanged(let mode):
            "\(channel) now served by \(mode == .stream ? "the stream" : "REST polling")"
        case .resynchronizing(let topic, let reason):
            "\(channel) resynchronizing \(topic.kind) \(topic.market): \(reason)"
        }
    }
}
