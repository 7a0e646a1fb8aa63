import MarketStreamCore

/// Everything a channel's supervisor decides, as a value with no I/O: events in, actions out.
///
/// The supervisor tells it what happened (the channel became needed, a connection was made or
/// ended, a backoff elapsed, the restored stream stayed up) and performs what it answers (connect,
/// wait, back off and tell subscribers, switch to REST polling and back). Tested transition by
/// transition on its own (`ChannelStateMachineTests`).
struct ChannelStateMachine: Sendable {
    /// Where the channel is.
    enum Phase: Sendable, Equatable {
        /// Not connected and not needed.
        case idle
        /// A connection attempt is under way (1 is the first after a success or a clean close).
        case connecting(attempt: Int)
        /// Connected: restoring the subscription set, then streaming.
        case streaming(since: Duration)
        /// Waiting `delay` before attempt `attempt`.
        case backingOff(attempt: Int, delay: Duration)
        /// The router has stopped.
        case stopped
    }

    /// How a connection ended, as the supervisor saw it.
    enum Ending: Sendable, Equatable {
        /// Nobody needs the channel any more: closed without backoff.
        case notNeeded
        /// The set became empty on an exchange that cannot express that: reconnect at once.
        case resetForEmptySet
        /// Silent past the channel's tolerance.
        case stalled
        /// Refused, failed or closed by the exchange; `rejectedCredentials` when the exchange
        /// refused the channel's credentials (REST polling starts at once then).
        case failed(rejectedCredentials: Bool)
    }

    /// What the supervisor must do next.
    enum Action: Sendable, Equatable {
        /// Wait until the channel is needed.
        case waitForDemand
        /// Open connection attempt `attempt` (after the exchange's connect limit permits).
        case connect(attempt: Int)
        /// Tell subscribers of the outage and wait `delay` before reconnecting; start REST polling
        /// first when `startFallback`.
        case backOff(attempt: Int, delay: Duration, startFallback: Bool)
        /// Stop: the router is shutting down.
        case stop
    }

    let reconnect: ReconnectPolicy
    let fallback: RESTFallbackPolicy
    /// Whether the exchange module offers REST polling for this channel.
    let hasFallback: Bool
    private(set) var phase = Phase.idle
    /// Consecutive failed attempts.
    private(set) var failures = 0
    /// Whether subscribers are being served by REST polling.
    private(set) var isPolling = false

    init(reconnect: ReconnectPolicy, fallback: RESTFallbackPolicy, hasFallback: Bool) {
        self.reconnect = reconnect
        self.fallback = fallback
        self.hasFallback = hasFallback && fallback.isEnabled
    }

    /// The public view of ``phase``.
    var state: ChannelState {
        switch phase {
        case .idle: .idle
        case .connecting(let attempt): .connecting(attempt: attempt)
        case .streaming: .streaming
        case .backingOff(let attempt, let delay): .backingOff(attempt: attempt, delay: delay)
        case .stopped: .stopped
        }
    }

    /// The channel is needed (or not) while idle or after a backoff.
    mutating func demand(isNeeded: Bool) -> Action {
        guard phase != .stopped else { return .stop }
        guard isNeeded else {
            phase = .idle
            return .waitForDemand
        }
        let attempt = failures + 1
        phase = .connecting(attempt: attempt)
        return .connect(attempt: attempt)
    }

    /// The connection is up at `now` (router time).
    mutating func connected(at now: Duration) {
        guard case .connecting = phase else { return }
        phase = .streaming(since: now)
    }

    /// The connection ended; `now` is router time.
    /// - Parameters:
    ///   - jitterSample: A random value in `0..<1` for the backoff's jitter.
    ///   - deliveredData: Whether the connection delivered market or account data.
    mutating func ended(_ ending: Ending, at now: Duration, jitterSample: Double, deliveredData: Bool = false)
        -> Action
    {
        guard phase != .stopped else { return .stop }
        var establishedFor: Duration?
        if case .streaming(let since) = phase { establishedFor = now - since }
        switch ending {
        case .notNeeded, .resetForEmptySet:
            failures = 0
            phase = .idle
            return .waitForDemand
        case .stalled, .failed:
            break
        }
        if let establishedFor,
            establishedFor >= (deliveredData ? reconnect.dataStablePeriod : reconnect.stablePeriod)
        {
            failures = 0
        }
        failures += 1
        var rejected = false
        if case .failed(let rejectedCredentials) = ending { rejected = rejectedCredentials }
        let startFallback =
            hasFallback && !isPolling && (rejected || failures >= fallback.failuresBeforeFallback)
        if startFallback { isPolling = true }
        let delay = reconnect.delay(beforeAttempt: failures, jitterSample: jitterSample)
        phase = .backingOff(attempt: failures, delay: delay)
        return .backOff(attempt: failures, delay: delay, startFallback: startFallback)
    }

    /// When the restored stream counts as stable enough to stop REST polling.
    /// - Returns: `nil` when not polling or not streaming.
    var pollingEndsAt: Duration? {
        guard isPolling, case .streaming(let since) = phase else { return nil }
        return since + fallback.recoveryPeriod
    }

    /// The restored stream has been up since ``pollingEndsAt``: stop polling.
    /// - Returns: Whether polling stopped now (tell subscribers).
    mutating func streamStayedUp(at now: Duration) -> Bool {
        guard let endsAt = pollingEndsAt, now >= endsAt else { return false }
        isPolling = false
        return true
    }

    /// The router is stopping.
    mutating func stop() {
        phase = .stopped
    }
}
