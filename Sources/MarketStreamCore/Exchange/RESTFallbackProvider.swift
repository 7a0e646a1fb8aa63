/// An exchange that can keep a channel's data flowing by polling REST while the channel's stream
/// cannot be established or keeps failing (Upbit: `myOrder` and `myAsset` from the accounts and
/// orders endpoints).
///
/// The router switches a channel to polling after repeated connection failures (or at once when
/// the exchange rejects the credentials on the socket), keeps trying to reconnect meanwhile, and
/// switches back once the stream has been restored and stayed up; `ChannelHealth.mode` shows
/// which is active and subscribers get a `modeChanged` connection event. Polled events carry
/// ``StreamKind/polled``.
public protocol RESTFallbackProvider: AbstractWebSocketManager {
    /// A new poller for `channel`, or `nil` when the channel has no REST fallback.
    func makeFallbackPoller(for channel: ChannelID) -> (any RESTFallbackPoller)?
}

/// Polls REST for a channel's subscribed topics. One poller serves one fallback period and may
/// keep state between polls (the last balances seen, the open orders) to report only changes.
public protocol RESTFallbackPoller: Sendable {
    /// The pause between polls, chosen to stay well inside the exchange's REST limits.
    var interval: Duration { get }

    /// Polls once.
    /// - Parameters:
    ///   - topics: The channel's subscribed topics (account-wide topics use ``MarketCode/account``).
    ///   - context: Stamps for the events (exchange, channel, receive time; generation
    ///     ``ConnectionGeneration/none``, since polled data belongs to no connection).
    /// - Returns: Events for what changed since the previous poll, with stream ``StreamKind/polled``.
    /// - Throws: What made the poll fail; the router counts it, reports it in health and polls
    ///   again after ``interval``.
    mutating func poll(_ topics: Set<SubscriptionTopic>, context: DecodeContext) async throws -> [MarketEvent]
}
