import Clocks
import Logging
import MarketStreamCore
import Synchronization

/// When the router switches a channel to REST polling and back (see `RESTFallbackProvider`).
public struct RESTFallbackPolicy: Sendable, Hashable {
    /// Whether channels whose exchange module offers a REST fallback use it (default `true`).
    public var isEnabled: Bool
    /// Consecutive connection failures after which polling starts (default 3). A rejection of
    /// the credentials on the socket starts it at once.
    public var failuresBeforeFallback: Int
    /// How long a restored stream must stay up before polling stops (default 5 s), so a stream
    /// that connects and is then closed again does not flap between modes.
    public var recoveryPeriod: Duration

    /// Creates a policy.
    public init(isEnabled: Bool = true, failuresBeforeFallback: Int = 3, recoveryPeriod: Duration = .seconds(5)) {
        self.isEnabled = isEnabled
        self.failuresBeforeFallback = max(1, failuresBeforeFallback)
        self.recoveryPeriod = recoveryPeriod
    }
}

/// How a channel's subscribers are being served.
public enum ChannelDataMode: String, Sendable, Hashable, CustomStringConvertible {
    /// Over the WebSocket stream.
    case stream
    /// Over REST polling, while the stream is unavailable; events carry `StreamKind/polled`.
    case restPolling = "rest-polling"

    public var description: String { rawValue }
}

extension MarketDataRouter {
    /// Runs a channel's REST poller whenever the channel is in fallback mode; returns on cancellation.
    func runFallback(_ runtime: ChannelRuntime, provider: any RESTFallbackProvider, logger: Logger) async {
        let key = runtime.key
        while !Task.isCancelled {
            while !Task.isCancelled && !runtime.isPolling {
                await runtime.fallbackSignal.wait()
            }
            guard !Task.isCancelled, var poller = provider.makeFallbackPoller(for: key.channel) else { return }
            logger.info("polling REST while the stream is unavailable")
            while !Task.isCancelled && runtime.isPolling {
                let topics = state.withLock { $0.table.desired(for: key) }
                if !topics.isEmpty {
                    // Polled data belongs to no connection: generation `.none` is never discarded
                    // as stale when a reconnect attempt begins meanwhile.
                    let context = DecodeContext(
                        exchange: key.exchange, channel: key.channel, generation: .none, receivedAt: wallClock())
                    do {
                        let events = try await poller.poll(topics, context: context)
                        guard runtime.isPolling else { break }
                        runtime.polledEvents.add(events.count, ordering: .relaxed)
                        let routes = runtime.routes.value
                        var wakes = DeferredWakes()
                        for event in events { runtime.route(event, with: routes, logger: logger, wakes: &wakes) }
                        wakes.wake()
                        runtime.update { $0.lastPollError = nil }
                    } catch is CancellationError {
                        return
                    } catch {
                        runtime.pollFailures.add(1, ordering: .relaxed)
                        let failure =
                            error as? MarketStreamError
                            ?? MarketStreamError(.exchangeError, String(describing: error), exchange: key.exchange)
                        let message = failure.description
                        runtime.update { $0.lastPollError = message }
                        let buffers = state.withLock { $0.announcementTargets(on: key) }
                        let event = FeedEvent.connection(
                            ConnectionEvent(channel: key, generation: runtime.generation, kind: .pollFailed(failure)))
                        for buffer in buffers { buffer.deliver(event) }
                        logger.info("REST poll failed", metadata: ["error": "\(message)"])
                    }
                }
                await runtime.fallbackSignal.wait(
                    until: clock.now.advanced(by: poller.interval), clock: clock)
            }
        }
    }

    /// Tells subscribers and the poller that the channel's state machine switched it to REST polling.
    func startFallback(_ runtime: ChannelRuntime, reason: String, logger: Logger) {
        announceMode(.restPolling, on: runtime)
        logger.info("switching to REST polling", metadata: ["reason": "\(reason)"])
        runtime.fallbackSignal.signal()
    }

    /// Tells subscribers and the poller that the channel is served by its stream again.
    func endFallback(_ runtime: ChannelRuntime, logger: Logger) {
        announceMode(.stream, on: runtime)
        logger.info("stream restored; REST polling stopped")
        runtime.fallbackSignal.signal()
    }

    /// Records the channel's mode and tells its subscribers.
    private func announceMode(_ mode: ChannelDataMode, on runtime: ChannelRuntime) {
        if mode == .stream { runtime.update { $0.lastPollError = nil } }
        let buffers = state.withLock { $0.announcementTargets(on: runtime.key) }
        let event = FeedEvent.connection(
            ConnectionEvent(channel: runtime.key, generation: runtime.generation, kind: .modeChanged(mode)))
        for buffer in buffers { buffer.deliver(event) }
    }
}
