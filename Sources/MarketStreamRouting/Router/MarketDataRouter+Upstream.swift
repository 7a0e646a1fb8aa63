import MarketStreamCore
import Synchronization

extension MarketDataRouter {
    /// The set last sent upstream on a channel: what the exchange has on the current connection
    /// (empty while disconnected).
    /// - Parameter channel: The channel.
    /// - Returns: The upstream set.
    public func upstreamTopics(on channel: ChannelKey) -> Set<SubscriptionTopic> {
        runtimes[channel]?.upstream ?? []
    }

    /// Waits until the set last sent upstream on a channel equals ``desiredTopics(on:)``: every
    /// subscription change made before the call has gone out, after debouncing and within the rate
    /// limits. Topics in their grace period still count as wanted. Returns at once when already in
    /// step, and early on cancellation.
    ///
    /// ```swift
    /// let coins = try router.subscribe(to: .ticker, markets: [eth, xrp])
    /// await router.waitForUpstreamSync(on: ChannelKey(exchange: "upbit", channel: .public))
    /// print(router.upstreamTopics(on: key))   // BTC, ETH, XRP: one message carried all three
    /// ```
    /// - Parameter channel: The channel.
    public func waitForUpstreamSync(on channel: ChannelKey) async {
        while !Task.isCancelled {
            let id = state.withLock { state -> UInt64 in
                state.lastUpstreamWaiterID += 1
                return state.lastUpstreamWaiterID
            }
            await withTaskCancellationHandler {
                await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                    let resumeNow = state.withLock { state -> Bool in
                        if Task.isCancelled || isUpstreamSynced(channel, in: state) { return true }
                        state.upstreamWaiters[id] = (channel, continuation)
                        return false
                    }
                    if resumeNow { continuation.resume() }
                }
            } onCancel: {
                state.withLock { $0.upstreamWaiters.removeValue(forKey: id) }?.continuation.resume()
            }
            if state.withLock({ isUpstreamSynced(channel, in: $0) }) { return }
        }
    }

    private func isUpstreamSynced(_ channel: ChannelKey, in state: RouterState) -> Bool {
        state.isUpstreamSynced(channel, upstream: upstreamTopics(on: channel))
    }

    /// Lets the waiters of `channel` check again (after a send, or when the session goes idle).
    func wakeUpstreamWaiters(on channel: ChannelKey) {
        let continuations = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            let ids = state.upstreamWaiters.filter { $0.value.channel == channel }.map(\.key)
            return ids.compactMap { state.upstreamWaiters.removeValue(forKey: $0)?.continuation }
        }
        for continuation in continuations { continuation.resume() }
    }
}
