import CoreMetrics
import MarketStreamCore
import Metrics
import Synchronization

/// The per-channel objects that the read path touches without taking the router's lock.
final class ChannelRuntime: Sendable {
    let key: ChannelKey
    let descriptor: ExchangeChannel
    let manager: any AbstractWebSocketManager
    /// Wakes the active connection's upstream sync (or the supervisor, while idle).
    let signal = WakeSignal()
    /// Wakes a planned rotation's replacement connection's upstream sync.
    let standbySignal = WakeSignal()
    /// The read path's routes, replaced whole when the channel's subscriptions change.
    let routes = ChannelRoutes()
    /// The channel's upstream set, pending snapshots, error history and rates.
    let record = Mutex(ChannelRecord())
    /// The channel's lifecycle: the only place its state is decided.
    let machine: Mutex<ChannelStateMachine>

    /// The generation of the connection whose events may be delivered.
    let currentGeneration = Atomic<UInt64>(0)
    /// The number of the connection whose events are delivered (``DecodeContext/connection``);
    /// unlike the generation it changes when a planned rotation replaces the connection.
    let activeConnection = Atomic<UInt64>(0)
    /// The last connection number handed out.
    let lastConnection = Atomic<UInt64>(0)
    /// Planned rotations completed (make-before-break replacements of a connection).
    let rotations = Atomic<Int>(0)
    /// Rotations that took over before every flowing topic overlapped (some events may be missing).
    let rotationsWithoutOverlap = Atomic<Int>(0)
    /// Set by every inbound frame or pong; the silence watchdog clears it.
    let sawActivity = Atomic<Bool>(false)
    /// Set by every inbound frame that carried market or account data; the watchdog clears it.
    let sawData = Atomic<Bool>(false)
    let messagesReceived = Atomic<Int>(0)
    let malformedFrames = Atomic<Int>(0)
    let upstreamMessages = Atomic<Int>(0)
    /// Input events a data-type handler failed on (skipped).
    let handlerFailures = Atomic<Int>(0)
    /// Audits that found the exchange's set differing from the desired one.
    let driftRepairs = Atomic<Int>(0)
    /// Events delivered from REST polling while the stream was unavailable.
    let polledEvents = Atomic<Int>(0)
    /// REST polls that failed.
    let pollFailures = Atomic<Int>(0)
    /// Wakes the channel's poller when the mode changes.
    let fallbackSignal = WakeSignal()
    /// Whether the exchange module offers a REST fallback for this channel.
    let hasFallback: Bool
    /// Wall-clock nanoseconds of the last inbound frame.
    let lastMessageAt = Atomic<Int64>(0)

    let receivedCounter: Counter
    let malformedCounter: Counter
    let reconnectCounter: Counter
    let upstreamMessageCounter: Counter
    let upstreamTopicsGauge: Gauge

    init(
        key: ChannelKey, descriptor: ExchangeChannel, manager: any AbstractWebSocketManager,
        configuration: RouterConfiguration, metricsFactory: any MetricsFactory
    ) {
        self.key = key
        self.descriptor = descriptor
        self.manager = manager
        let hasFallback = (manager as? any RESTFallbackProvider)?.makeFallbackPoller(for: key.channel) != nil
        self.hasFallback = hasFallback
        machine = Mutex(
            ChannelStateMachine(
                reconnect: configuration.reconnect, fallback: configuration.restFallback, hasFallback: hasFallback))
        let dimensions = [("exchange", key.exchange.rawValue), ("channel", key.channel.rawValue)]
        receivedCounter = Counter(
            label: "marketstream.messages.received", dimensions: dimensions, factory: metricsFactory)
        malformedCounter = Counter(
            label: "marketstream.frames.malformed", dimensions: dimensions, factory: metricsFactory)
        reconnectCounter = Counter(label: "marketstream.reconnects", dimensions: dimensions, factory: metricsFactory)
        upstreamMessageCounter = Counter(
            label: "marketstream.upstream.messages", dimensions: dimensions, factory: metricsFactory)
        upstreamTopicsGauge = Gauge(
            label: "marketstream.upstream.topics", dimensions: dimensions, factory: metricsFactory)
    }

    var generation: ConnectionGeneration { ConnectionGeneration(currentGeneration.load(ordering: .acquiring)) }

    /// Whether subscribers are served by the stream or by REST polling.
    var mode: ChannelDataMode { isPolling ? .restPolling : .stream }

    /// Whether the channel is being served by REST polling.
    var isPolling: Bool { machine.withLock { $0.isPolling } }

    /// Whether snapshot requests wait to be sent.
    var snapshotsPending: Bool { record.withLock { !$0.pendingSnapshots.isEmpty } }

    /// A new connection number.
    func nextConnectionNumber() -> UInt64 { lastConnection.add(1, ordering: .relaxed).newValue }

    /// Tells the channel's upstream sync (both connections', during a rotation) that the desired
    /// set changed.
    func wake() {
        signal.signal()
        standbySignal.signal()
    }

    /// Updates the channel's record.
    func update(_ change: (inout ChannelRecord) -> Void) {
        record.withLock { change(&$0) }
    }
}
