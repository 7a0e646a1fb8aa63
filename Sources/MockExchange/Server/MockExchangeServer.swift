import CoreMetrics
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import HummingbirdWebSocket
import Logging
import MarketStreamCore
import NIOCore
import ServiceLifecycle
import Synchronization

/// Where a running mock exchange listens.
public struct MockExchangeEndpoint: Sendable, Hashable {
    /// The bound host.
    public var host: String
    /// The bound port.
    public var port: Int
    /// Whether the server speaks TLS (`wss://`, `https://`).
    public var isSecure: Bool

    /// Creates an endpoint description.
    public init(host: String, port: Int, isSecure: Bool = false) {
        self.host = host
        self.port = port
        self.isSecure = isSecure
    }

    /// The WebSocket base (`ws://127.0.0.1:PORT`, or `wss://` with TLS); Upbit paths are
    /// `/websocket/v1` and `/websocket/v1/private`, Binance's dialect `/binance/stream` and `/binance/ws`.
    public var webSocketBase: String { "\(isSecure ? "wss" : "ws")://\(host):\(port)" }
    /// The REST base (`http://127.0.0.1:PORT`, or `https://` with TLS).
    public var restBase: String { "\(isSecure ? "https" : "http")://\(host):\(port)" }
}

/// A local exchange speaking Upbit's, Bithumb's and Binance spot's dialects: WebSocket and
/// REST on one port, a deterministic simulated market, paper trading and fault injection.
///
/// Run it as a ServiceLifecycle `Service`; ``endpoint()`` returns once it listens.
///
/// ```swift
/// let server = MockExchangeServer(configuration: .init(seed: 7), logger: logger)
/// group.addTask { try await server.run() }
/// let endpoint = try await server.endpoint()   // ws://127.0.0.1:PORT
/// ```
public final class MockExchangeServer: Service, Sendable {
    let core: MockExchangeCore
    let logger: Logger
    private let listening = ReadySignal<MockExchangeEndpoint>()

    /// Creates a server; nothing starts until ``run()``.
    /// - Parameters:
    ///   - configuration: Market, limits, credentials and faults.
    ///   - logger: Where the server logs.
    ///   - metricsFactory: Where its figures go (connections, events published, frames written, REST
    ///     calls by group and status); the bootstrapped system by default.
    public init(
        configuration: MockExchangeConfiguration = MockExchangeConfiguration(), logger: Logger,
        metricsFactory: any MetricsFactory = MetricsSystem.factory
    ) {
        core = MockExchangeCore(configuration: configuration, metricsFactory: metricsFactory)
        self.logger = logger
    }

    /// The address the server listens on; waits until it does.
    /// - Throws: ``ListenFailure`` when the server could not listen (the port is taken, say), or
    ///   `CancellationError` when the calling task is cancelled first.
    public func endpoint() async throws -> MockExchangeEndpoint {
        try await listening.wait()
    }

    /// Serves until cancelled or a graceful shutdown.
    public func run() async throws {
        let core = self.core
        let configuration = core.configuration
        let logger = self.logger
        let plain = HTTPServerBuilder { responder in
            OriginGatedChannel(
                base: HTTP1WebSocketUpgradeChannel(
                    responder: responder,
                    configuration: .init(ws: WebSocketServerConfiguration(maxFrameSize: 1 << 22, autoPing: .disabled))
                ) { request, channel, logger in
                    core.upgrade(request: request, channel: channel, logger: logger)
                },
                core: core)
        }
        let application = Application(
            router: core.makeRouter(),
            server: try configuration.tls.map { try .tls(plain, tlsConfiguration: $0) } ?? plain,
            configuration: ApplicationConfiguration(
                address: .hostname(configuration.host, port: configuration.port), serverName: "mock-exchange"),
            onServerRunning: { channel in
                self.didStartListening(
                    MockExchangeEndpoint(
                        host: configuration.host, port: channel.localAddress?.port ?? configuration.port,
                        isSecure: configuration.tls != nil))
            },
            logger: Self.quieted(logger)
        )
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask {
                do {
                    // `run()`, not `runService()`: signals belong to the program's service group.
                    try await application.run()
                } catch {
                    let failure = ListenFailure(host: configuration.host, port: configuration.port, error: error)
                    guard self.didFailToListen(failure) else { throw error }
                    throw failure
                }
            }
            // A graceful shutdown ends the market and the fault schedule: that is no error.
            group.addTask { try await Self.untilShutdown { try await core.runMarket() } }
            group.addTask { try await Self.untilShutdown { try await core.runScheduledFaults() } }
        }
    }

    /// Hummingbird logs a cancelled accept loop as an error: that is a normal stop here, so its
    /// server logs only critical messages (the mock's own logging is unaffected).
    package static func quieted(_ logger: Logger) -> Logger {
        var logger = logger
        if logger.logLevel > .debug { logger.logLevel = .critical }
        return logger
    }

    private static func untilShutdown(_ work: @escaping @Sendable () async throws -> Void) async throws {
        do {
            try await cancelWhenGracefulShutdown(work)
        } catch is CancellationError {
            // Ended by the shutdown or by cancellation.
        }
    }

    /// Fails the endpoint's waiters when the server never listened.
    /// - Returns: Whether the failure happened before listening.
    private func didFailToListen(_ failure: ListenFailure) -> Bool {
        listening.fail(failure)
    }

    private func didStartListening(_ endpoint: MockExchangeEndpoint) {
        listening.resolve(endpoint)
        logger.info("mock exchange listening", metadata: ["endpoint": "\(endpoint.webSocketBase)"])
    }

    // MARK: - Fault injection

    /// The active faults.
    public var faults: MockFaults { core.faults }

    /// Replaces the active faults.
    public func setFaults(_ faults: MockFaults) { core.setFaults(faults) }

    /// Drops every WebSocket connection at once, without a close frame.
    public func dropConnections() { core.dropAllConnections() }

    /// Drops, at once and without a close frame, every connection (of any dialect) subscribed to
    /// one of `markets`; the others stay (a venue that dropped one of several connections).
    public func dropConnections(carrying markets: Set<MarketCode>) { core.dropConnections(carrying: markets) }

    /// Freezes every open Upbit connection: it sends no more data but stays open and answers
    /// pings, while new connections are served normally (a connection the exchange stopped serving).
    public func freezeConnections() { core.freezeConnections() }

    /// The open Upbit connections, oldest first, with the subscription set each holds now (what
    /// `LIST_SUBSCRIPTIONS` would report).
    public func upbitConnections() -> [MockConnectionState] { core.upbitConnectionStates() }

    /// Returns once some client (of any dialect) holds a subscription, or once the calling task
    /// is cancelled.
    public func waitForSubscriber() async {
        await core.subscriberWaiters.wait(until: { [core] in core.hasSubscriber() })
    }

    /// Returns once `condition` holds, checked now and after every change of a connection's
    /// subscriptions (a connection closing included), or once the calling task is cancelled: for
    /// waiting on ``upbitConnections()`` or ``binanceConnections()`` without polling them.
    public func waitForSubscriptions(where condition: @escaping @Sendable () -> Bool) async {
        await core.subscriberWaiters.wait(until: condition)
    }

    /// The open Binance-dialect connections' streams (`btcusdt@trade`, …), one sorted list per
    /// connection in the order they connected.
    public func binanceConnections() -> [[String]] { core.binanceConnectionStreams() }

    /// Drops one Binance-dialect connection without a close frame: the one at `position` in
    /// ``binanceConnections()``'s order. Does nothing when there is none there.
    public func dropBinanceConnection(at position: Int) { core.dropBinanceConnection(at: position) }

    /// Silently forgets `fraction` (0…1) of every Upbit connection's subscriptions, as
    /// `LIST_SUBSCRIPTIONS` then reports.
    public func forgetSubscriptions(fraction: Double) { core.forgetSubscriptions(fraction: fraction) }

    /// Sends an Upbit error frame on every Upbit connection, then closes them.
    public func sendErrorFrames(name: String = "INVALID_PARAM", message: String = "fault injected") {
        core.sendErrorFrames(name: name, message: message)
    }

    /// Sends one malformed frame on every Upbit connection.
    public func sendMalformedFrames() { core.sendMalformedFrames() }

    /// Skips one update id of every market's Binance book: each `@depth@100ms` stream's next change
    /// leaves a gap, as a lost message would, and a client must fetch a new snapshot.
    public func injectBinanceSequenceGap() { core.skipBinanceBookUpdate() }

    /// Open WebSocket connections.
    public var connectionCount: Int { core.connectionCount }

    /// Advances the simulated market by `steps` updates now (in addition to the configured rate).
    public func advanceMarket(steps: Int = 1) { core.advance(steps: steps) }

    /// Publishes events from outside as the market's own, on an exchange configured with
    /// ``MockExchangeConfiguration/publishedMarkets``: each becomes its kind's snapshot, moves its
    /// market's price and book (for REST and paper trading), and goes to every connection
    /// subscribed to its kind and market, in that connection's dialect and format. Account events
    /// and events of unlisted markets are left out.
    public func publish(_ events: [MarketEvent]) { core.publishExternal(events) }

    /// The markets the exchange simulates.
    public var markets: [MarketCode] { core.withSimulator { $0.markets.map(\.code) } }
}

extension MockExchangeCore {
    /// Steps the simulated market at the configured rate until cancelled.
    func runMarket() async throws {
        let rate = configuration.updatesPerSecond
        guard rate > 0, configuration.publishedMarkets == nil else {
            return try await Task.sleep(for: .seconds(1_000_000_000))
        }
        // Batch steps so that high rates do not need sub-millisecond sleeps.
        let interval = max(Duration.milliseconds(5), .nanoseconds(Int64(1e9 / rate)))
        let stepsPerTick = max(1, Int((rate * interval.seconds).rounded()))
        let clock = ContinuousClock()
        var deadline = clock.now
        if let replaySteps = configuration.replaySteps, replaySteps > 0 {
            return try await runReplay(steps: replaySteps, rate: rate)
        }
        while true {
            deadline += interval
            try await clock.sleep(until: deadline)
            advance(steps: stepsPerTick)
        }
    }

    /// Replay mode: publishes the pre-generated updates at `rate`, but never faster than the
    /// slowest client drains its queue: a benchmark source must not spend its CPU on frames that
    /// would only be dropped.
    private func runReplay(steps: Int, rate: Double) async throws {
        var ring = makeReplayRing(steps: steps)
        var position = 0
        let clock = ContinuousClock()
        let start = clock.now
        var published = 0
        let highWater = 16_384
        while true {
            try await clock.sleep(for: .milliseconds(1))
            var owed = Int(start.duration(to: clock.now).seconds * rate) - published
            if owed > Int(rate) {  // never try to catch up more than a second
                published += owed - Int(rate)
                owed = Int(rate)
            }
            var room = highWater - largestBacklog()
            while owed > 0, room > 0 {
                let count = min(owed, 64)
                room -= replay(&ring, from: &position, count: count)
                owed -= count
                published += count
            }
        }
    }

    func runScheduledFaults() async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await Self.repeatFault(every: { self.faults.dropEvery }) { self.dropAllConnections() }
            }
            group.addTask {
                try await Self.repeatFault(every: { self.faults.binanceGapEvery }) { self.skipBinanceBookUpdate() }
            }
            try await group.next()
        }
    }

    /// Injects a fault each time the interval `every` gives elapses, while it gives one.
    private static func repeatFault(every: () -> Duration?, _ inject: () -> Void) async throws {
        while true {
            guard let interval = every() else {
                try await Task.sleep(for: .milliseconds(200))
                continue
            }
            try await Task.sleep(for: interval)
            inject()
        }
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
