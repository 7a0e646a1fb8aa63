import MarketStreamCore
import Synchronization

/// One connection's worth of a channel: its lifecycle, the set it carries and its activity.
///
/// Every channel has shard 0; a channel whose venue limits the streams per connection
/// (``ExchangeChannel/streamsPerConnection``) opens more as its set grows (``ShardPlan``), each
/// with its own connection, state machine, upstream set, rate budget and audit. The generation
/// stays the channel's: when one shard's connection is replaced, the channel's subscribers are
/// told, and events buffered from before are never delivered.
final class ChannelShard: Sendable {
    /// What a shard tracks behind its own lock.
    struct Link: Sendable {
        /// The set the exchange has on this shard's current connection.
        var upstream: Set<SubscriptionTopic> = []
        var connectedAt: UnixTime?
        var messagesPerSecond: Double = 0
    }

    let index: Int
    /// Wakes the shard's active connection's upstream sync (or its supervisor, while idle).
    let signal = WakeSignal()
    /// Wakes a planned rotation's replacement connection's upstream sync.
    let standbySignal = WakeSignal()
    /// The shard's lifecycle: the only place its state is decided.
    let machine: Mutex<ChannelStateMachine>
    /// The number of the connection whose events are delivered (``DecodeContext/connection``).
    let activeConnection = Atomic<UInt64>(0)
    /// Set by every inbound frame or pong; the silence watchdog clears it.
    let sawActivity = Atomic<Bool>(false)
    /// Set by every inbound frame that carried market or account data; the watchdog clears it.
    let sawData = Atomic<Bool>(false)
    /// Frames received on this shard's connections.
    let messagesReceived = Atomic<Int>(0)
    let link = Mutex(Link())

    /// Creates shard `index`, idle.
    /// - Parameter hasFallback: Whether its state machine may start REST polling (shard 0's only).
    init(index: Int, configuration: RouterConfiguration, hasFallback: Bool) {
        self.index = index
        machine = Mutex(
            ChannelStateMachine(
                reconnect: configuration.reconnect, fallback: configuration.restFallback, hasFallback: hasFallback))
    }

    /// Tells the shard's upstream sync (both connections', during a rotation) that its set changed.
    func wake() {
        signal.signal()
        standbySignal.signal()
    }

    var upstream: Set<SubscriptionTopic> { link.withLock { $0.upstream } }
}
