import Clocks
import Logging
import MarketStreamCore
import MarketStreamRouting
import MarketStreamTesting
import Metrics
import MetricsTestKit

/// A router wired to an in-memory exchange and a test clock.
struct RouterHarness: Sendable {
    let clock: TestClock<Duration>
    /// The router's clock: `clock`, counting the sleeps under way.
    let sleeps: SleepCountingClock
    let exchange: InMemoryExchange
    let router: MarketDataRouter
    let metrics: TestMetrics

    init(
        configuration: RouterConfiguration = RouterConfiguration(debounce: .zero, gracePeriod: .zero),
        handlers: HandlerRegistry = .empty,
        style: InMemoryExchange.Style = .overwrite, hasCredentials: Bool = false,
        messageLimits: [RateLimit] = [RateLimit(5, per: .seconds(1)), RateLimit(100, per: .seconds(60))],
        wallClock: (@Sendable () -> UnixTime)? = nil, wallClockFollowsTestClock: Bool = false,
        frameTap: (any FrameTap)? = nil, tellsForwardedTopics: Bool = false
    ) {
        let clock = TestClock<Duration>()
        let start = clock.now
        let testWallClock: @Sendable () -> UnixTime = {
            let (seconds, attoseconds) = start.duration(to: clock.now).components
            return UnixTime(nanoseconds: seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
        }
        self.clock = clock
        let sleeps = SleepCountingClock(clock)
        self.sleeps = sleeps
        exchange = InMemoryExchange(
            style: style, hasCredentials: hasCredentials, messageLimits: messageLimits,
            timeSource: { start.duration(to: clock.now) }, tellsForwardedTopics: tellsForwardedTopics)
        metrics = TestMetrics()
        router = MarketDataRouter(
            managers: [exchange], handlers: handlers, configuration: configuration, clock: AnyClock(sleeps),
            wallClock: wallClock ?? (wallClockFollowsTestClock ? testWallClock : MarketDataRouter.systemWallClock),
            random: ZeroRandom(), frameTap: frameTap,
            logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }), metricsFactory: metrics)
    }

    /// Runs the router for the duration of `body`, then stops it.
    func run<Value: Sendable>(_ body: @Sendable (RouterHarness) async throws -> Value) async throws -> Value {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await router.run() }
            defer { group.cancelAll() }
            return try await body(self)
        }
    }

    /// The live set of the public connection, as the exchange sees it.
    var upstream: Set<MarketCode>? {
        exchange.snapshot.live[.public].map { Set($0.map(\.market)) }
    }

    /// Waits until the exchange's public live set equals `markets`.
    func waitForUpstream(_ markets: Set<MarketCode>) async {
        await exchange.waitUntil { snapshot in
            snapshot.live[.public].map { Set($0.map(\.market)) } == markets
        }
    }

    /// Advances the test clock in small steps until `condition` holds (at most `limit`). After
    /// each step it waits (in real time, a second at most: a loop may have ended) until as many
    /// sleeps are under way as before it, so no loop the step woke misses the next one.
    func advance(
        by step: Duration, upTo limit: Duration, until condition: @Sendable () -> Bool,
        onStep: () -> Void = {}
    ) async -> Duration {
        var elapsed = Duration.zero
        while !condition() && elapsed < limit {
            onStep()
            let asleep = sleeps.sleeps
            await clock.advance(by: step)
            elapsed += step
            await sleeps.waitUntilSleeping(atLeast: asleep, for: .seconds(1))
        }
        return elapsed
    }
}

/// Jitter-free backoff in tests.
struct ZeroRandom: RandomNumberGenerator, Sendable {
    mutating func next() -> UInt64 { 0 }
}

extension Subscription.Iterator {
    /// The next market event, skipping connection events.
    mutating func nextMarketEvent() async throws -> MarketEvent? {
        while let event = try await next() {
            if case .market(let market) = event { return market }
        }
        return nil
    }

    /// The next event satisfying `predicate`.
    mutating func next(where predicate: (FeedEvent) -> Bool) async throws -> FeedEvent? {
        while let event = try await next() {
            if predicate(event) { return event }
        }
        return nil
    }
}
