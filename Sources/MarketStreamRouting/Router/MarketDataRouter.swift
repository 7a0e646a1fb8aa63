import Clocks
import CoreMetrics
import Logging
import MarketStreamCore
import Metrics
import ServiceLifecycle
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Gives every part of a program live exchange data through one shared, supervised connection
/// per exchange channel.
///
/// Components subscribe on their own — through ``subscribe(to:markets:on:policy:)``,
/// ``withSubscription(to:markets:on:policy:_:)`` or a per-component ``client(_:)`` handle — and
/// the router keeps, per channel, the union of everything wanted as the upstream subscription
/// set: batched into as few requests as the exchange's rate limits allow, restored in full after
/// every reconnect, and released when the last subscriber goes away.
///
/// The router is a ServiceLifecycle `Service`: create it in `main`, pass it to the components
/// that need it, and run it in a `ServiceGroup`. `init` starts nothing; ``run()`` owns every
/// connection and timer and returns on cancellation or graceful shutdown, ending every
/// subscription.
///
/// ```swift
/// let router = MarketDataRouter(managers: [upbit], logger: logger)
/// try await withThrowingDiscardingTaskGroup { group in
///     group.addTask { try await router.run() }
///     try await router.withSubscription(to: .ticker, markets: [btc], on: "upbit") { tickers in
///         for try await event in tickers { print(event) }
///     }
/// }
/// ```
public final class MarketDataRouter: Service, Sendable {
    let configuration: RouterConfiguration
    let logger: Logger
    let clock: AnyClock<Duration>
    let origin: AnyClock<Duration>.Instant
    let wallClock: @Sendable () -> UnixTime
    let runtimes: [ChannelKey: ChannelRuntime]
    let managers: [ExchangeID: any AbstractWebSocketManager]
    let metricsFactory: any MetricsFactory
    let subscriberGauge: Gauge
    let state: Mutex<RouterState>
    let random: Mutex<any RandomNumberGenerator & Sendable>
    /// Sees every decoded frame of every active connection, if given.
    let frameTap: (any FrameTap)?

    /// Creates a router; starts nothing until ``run()``.
    /// - Parameters:
    ///   - managers: The exchange modules to route, one per exchange.
    ///   - handlers: Data-type handlers that derive kinds (spread, VWAP, …) from built-in ones.
    ///   - configuration: Batching, buffering and reconnect settings.
    ///   - clock: The clock for debouncing, rate limits, backoff and timeouts (inject a test clock
    ///     in tests).
    ///   - wallClock: Stamps events' receive time (defaults to the system's real-time clock).
    ///   - random: Randomness for backoff jitter.
    ///   - frameTap: Sees every frame the active connections decode, as received (a gateway's
    ///     publisher, a recorder); `nil` for none.
    ///   - logger: Where the router logs (it never creates a logger of its own).
    ///   - metricsFactory: Where counters and gauges go (defaults to the bootstrapped system).
    public init(
        managers: [any AbstractWebSocketManager],
        handlers: HandlerRegistry = .empty,
        configuration: RouterConfiguration = RouterConfiguration(),
        clock: AnyClock<Duration> = AnyClock(ContinuousClock()),
        wallClock: @escaping @Sendable () -> UnixTime = MarketDataRouter.systemWallClock,
        random: any RandomNumberGenerator & Sendable = SystemRandomNumberGenerator(),
        frameTap: (any FrameTap)? = nil,
        logger: Logger,
        metricsFactory: any MetricsFactory = MetricsSystem.factory
    ) {
        self.configuration = configuration
        self.logger = logger
        self.clock = clock
        self.origin = clock.now
        self.wallClock = wallClock
        self.metricsFactory = metricsFactory
        self.random = Mutex(random)
        self.frameTap = frameTap
        var managersByID: [ExchangeID: any AbstractWebSocketManager] = [:]
        var runtimes: [ChannelKey: ChannelRuntime] = [:]
        var state = RouterState(handlers: handlers)
        for manager in managers {
            precondition(managersByID[manager.exchange] == nil, "exchange \(manager.exchange) registered twice")
            managersByID[manager.exchange] = manager
            state.connectLimiters[manager.exchange] = SlidingWindowRateLimiter(limits: [manager.connectLimit])
            for channel in manager.channels {
                let key = ChannelKey(exchange: manager.exchange, channel: channel.id)
                runtimes[key] = ChannelRuntime(
                    key: key, descriptor: channel, manager: manager, configuration: configuration,
                    metricsFactory: metricsFactory)
            }
        }
        self.managers = managersByID
        self.runtimes = runtimes
        self.state = Mutex(state)
        self.subscriberGauge = Gauge(label: "marketstream.subscribers", dimensions: [], factory: metricsFactory)
    }

    /// Runs every channel's connection supervisor until the task is cancelled or a graceful
    /// shutdown begins; then ends every subscription.
    /// - Throws: `MarketStreamError/Code/routerShutDown` when the router already ran.
    public func run() async throws {
        try state.withLock { state throws(MarketStreamError) in
            guard state.lifecycle == .initial else {
                throw MarketStreamError(.routerShutDown, "a router runs once")
            }
            state.lifecycle = .running
        }
        logger.debug("router starting", metadata: ["channels": "\(runtimes.count)"])
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                for runtime in self.runtimes.values {
                    group.addTask { await self.supervise(runtime) }
                }
            }
        }
        shutDown()
    }

    private func shutDown() {
        let buffers: [SubscriberBuffer] = state.withLock { state in
            state.lifecycle = .shutDown
            return state.subscribers.values.map(\.buffer)
        }
        for runtime in runtimes.values { for shard in runtime.shards { shard.machine.withLock { $0.stop() } } }
        for buffer in buffers {
            buffer.finish(throwing: MarketStreamError(.routerShutDown, "the router has shut down"))
        }
        logger.debug("router stopped")
    }

    // MARK: - Time

    /// The router clock's time since the router was created.
    func now() -> Duration { origin.duration(to: clock.now) }

    func instant(at offset: Duration) -> AnyClock<Duration>.Instant { origin.advanced(by: offset) }

    func sleep(until offset: Duration) async throws {
        try await clock.sleep(until: instant(at: offset))
    }

    /// The system real-time clock as `UnixTime`.
    public static let systemWallClock: @Sendable () -> UnixTime = {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return UnixTime(nanoseconds: Int64(spec.tv_sec) * 1_000_000_000 + Int64(spec.tv_nsec))
    }

    func jitterSample() -> Double {
        random.withLock { generator in Double.random(in: 0..<1, using: &generator) }
    }

    // MARK: - Inspection

    /// The upstream set the router currently wants on a channel (live topics plus those in their
    /// grace period).
    /// - Parameter channel: The channel.
    /// - Returns: The desired set.
    public func desiredTopics(on channel: ChannelKey) -> Set<SubscriptionTopic> {
        state.withLock { $0.table.desired(for: channel) }
    }

    /// The channels the router drives.
    public var channelKeys: [ChannelKey] { runtimes.keys.sorted { $0.description < $1.description } }
}
