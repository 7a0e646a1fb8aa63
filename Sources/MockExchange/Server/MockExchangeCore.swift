import BinanceWire
import CoreMetrics
import Logging
import MarketStreamCore
import NIOCore
import Synchronization
import UpbitWire

#if canImport(Glibc)
    import Glibc
#endif

/// The mock exchange's shared state: the simulated market, the connected clients, the paper
/// account and the active faults. Every endpoint works on it; nothing here does I/O.
final class MockExchangeCore: Sendable {
    struct State: Sendable {
        var simulator: MarketSimulator
        var upbitConnections: [Int: UpbitConnection] = [:]
        var binanceConnections: [Int: BinanceConnection] = [:]
        /// Binance's books as published: update ids and changes.
        var binanceBooks = BinanceBookLedger()
        var channels: [Int: any Channel] = [:]
        var nextConnectionID = 0
        var usedNonces: Set<String> = []
        var ledger: PaperLedger
        var random: SeededRandom
        var restLimiters: [String: SlidingWindowRateLimiter] = [:]
        /// 429s per group in the current second, and groups blocked (418) until a time.
        var restViolations: [String: (second: Int64, count: Int)] = [:]
        var restBlockedUntil: [String: Duration] = [:]
        /// Requests with an `Origin` header, by client address.
        var originLimiters: [String: SlidingWindowRateLimiter] = [:]
    }

    let configuration: MockExchangeConfiguration
    let state: Mutex<State>
    /// Faults live apart from the state: writers read them for every frame.
    private let activeFaults: Mutex<MockFaults>
    /// Draws for `malformedFraction`; a lock of its own, taken under a connection's lock.
    private let faultRandom: Mutex<SeededRandom>
    let origin = ContinuousClock.now
    /// Callers waiting for a client to subscribe.
    let subscriberWaiters = ConditionWaiters()

    let metrics: MockMetrics

    init(configuration: MockExchangeConfiguration, metricsFactory: any MetricsFactory) {
        self.configuration = configuration
        self.metrics = MockMetrics(factory: metricsFactory)
        let now = Self.wallMilliseconds()
        activeFaults = Mutex(configuration.faults)
        faultRandom = Mutex(SeededRandom(seed: configuration.seed &+ 2))
        let simulator =
            configuration.publishedMarkets.map {
                MarketSimulator(publishing: $0, seed: configuration.seed, startTime: now)
            }
            ?? MarketSimulator(seed: configuration.seed, marketCount: configuration.marketCount, startTime: now)
        state = Mutex(
            State(
                simulator: simulator,
                ledger: PaperLedger(balances: configuration.startingBalances, feeRate: configuration.feeRate),
                random: SeededRandom(seed: configuration.seed &+ 1)))
    }

    /// Milliseconds since the Unix epoch.
    static func wallMilliseconds() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1_000 + Int64(spec.tv_nsec) / 1_000_000
    }

    /// Time since the exchange started, for rate limits.
    func elapsed() -> Duration { ContinuousClock.now - origin }

    func withSimulator<T>(_ body: (MarketSimulator) -> T) -> T {
        state.withLock { body($0.simulator) }
    }

    func snapshot(of kind: DataKind, market: MarketCode) -> MarketEvent? {
        let now = Self.wallMilliseconds()
        return state.withLock { $0.simulator.snapshot(of: kind, market: market, at: now) }
    }

    // MARK: - Connections

    func register(_ connection: UpbitConnection, channel: any Channel) {
        state.withLock { state in
            state.upbitConnections[connection.id] = connection
            state.channels[connection.id] = channel
            metrics.connections.record(state.channels.count)
        }
    }

    func register(_ connection: BinanceConnection, channel: any Channel) {
        state.withLock { state in
            state.binanceConnections[connection.id] = connection
            state.channels[connection.id] = channel
            metrics.connections.record(state.channels.count)
        }
    }

    func unregister(_ id: Int) {
        state.withLock { state in
            state.upbitConnections[id] = nil
            state.binanceConnections[id] = nil
            state.channels[id] = nil
            metrics.connections.record(state.channels.count)
        }
        // The connection's subscriptions went with it.
        subscriberWaiters.changed()
    }

    func makeConnectionID() -> Int {
        state.withLock { state in
            state.nextConnectionID += 1
            return state.nextConnectionID
        }
    }

    var connectionCount: Int { state.withLock { $0.channels.count } }

    // MARK: - Publishing

    /// Advances the market by `steps` updates and sends the events to every subscriber.
    func advance(steps: Int) {
        let now = Self.wallMilliseconds()
        let faults = self.faults
        let (events, upbit, binance, fills) = state.withLock { state in
            var events: [MarketEvent] = []
            for _ in 0..<steps { events += state.simulator.step(at: now) }
            let fills = state.ledger.match(against: state.simulator, at: now)
            for fill in fills where fill.publicTrade != nil {
                let trade = fill.publicTrade!
                events += state.simulator.recordFill(
                    market: trade.market, price: trade.price, volume: trade.volume, side: trade.side, at: now)
            }
            return (
                events, Array(state.upbitConnections.values), Array(state.binanceConnections.values),
                fills.flatMap(\.privateEvents)
            )
        }
        publish(events + fills, upbit: upbit, binance: binance, faults: faults)
    }

    /// Takes public events from outside as the market's (see
    /// ``MockExchangeConfiguration/publishedMarkets``), fills resting paper orders they cross, and
    /// sends them and the fills to their subscribers.
    func publishExternal(_ events: [MarketEvent]) {
        let now = Self.wallMilliseconds()
        let events = events.filter { !$0.kind.isPrivate }
        let fills = state.withLock { state in
            for event in events { state.simulator.absorb(event) }
            return state.ledger.match(against: state.simulator, at: now)
        }
        publish(events + fills.flatMap(\.privateEvents))
    }

    /// Sends events (account events go to private connections only) to their subscribers.
    func publish(_ events: [MarketEvent]) {
        let faults = self.faults
        let (upbit, binance) = state.withLock {
            (Array($0.upbitConnections.values), Array($0.binanceConnections.values))
        }
        publish(events, upbit: upbit, binance: binance, faults: faults)
    }

    private func publish(
        _ events: [MarketEvent], upbit: [UpbitConnection], binance: [BinanceConnection], faults: MockFaults
    ) {
        guard !faults.stalled, !events.isEmpty else { return }
        metrics.eventsPublished.increment(by: events.count)
        for event in events {
            var cache = EncodeCache(event: event)
            let fraction = faults.malformedFraction
            for connection in upbit where connection.isPrivate == event.kind.isPrivate {
                if fraction > 0 {
                    // Per frame the connection sends: only subscribed events are candidates.
                    connection.offer(&cache) {
                        self.faultRandom.withLock { Double($0.next() % 1_000_000) / 1_000_000 } < fraction
                    }
                } else {
                    connection.offer(&cache)
                }
            }
            guard !event.kind.isPrivate, !binance.isEmpty else { continue }
            let context = binanceContext(of: event)
            var frames: [String: String] = [:]
            for connection in binance {
                connection.offer(event, context: context, frames: &frames) {
                    fraction > 0
                        && self.faultRandom.withLock { Double($0.next() % 1_000_000) / 1_000_000 } < fraction
                }
            }
        }
    }

    /// What Binance's frames of `event` carry beyond the event: a ticker's best bid and ask; a
    /// book's update id and its change from the book before (recorded here, once per book).
    private func binanceContext(of event: MarketEvent) -> BinanceConnection.FrameContext {
        let names = BinanceConnection.streamNames(of: event)
        return state.withLock { state in
            switch event.payload {
            case .ticker:
                return .init(names: names, top: state.simulator.market(event.market)?.book.first)
            case .orderbook(let book):
                let change = state.binanceBooks.publish(book, of: event.market)
                return .init(names: names, updateID: change.lastUpdateID, change: change)
            default:
                return .init(names: names)
            }
        }
    }

    /// `market`'s Binance depth snapshot: the last published book and its id (or, before any was
    /// published, the simulator's book at the first id).
    func binanceDepth(of market: MarketCode) -> (updateID: Int64, book: Orderbook)? {
        state.withLock { state in
            if let published = state.binanceBooks.snapshot(of: market) { return published }
            guard let simulated = state.simulator.market(market) else { return nil }
            return (BinanceBookLedger.firstUpdateID, state.simulator.orderbook(of: simulated))
        }
    }

    /// A market's ticker, best book row and recent trades (oldest first), for the Binance dialect's
    /// REST endpoints.
    func binanceQuotation(of market: MarketCode, at now: Int64)
        -> (ticker: Ticker, top: Orderbook.Unit?, trades: [Trade])?
    {
        state.withLock { state in
            guard let simulated = state.simulator.market(market) else { return nil }
            let top = state.simulator.orderbook(of: simulated, depth: 1).units.first
            return (state.simulator.ticker(of: simulated, at: now), top, Array(simulated.recentTrades))
        }
    }

    /// A market's candles of `interval`, oldest first, the current one last.
    func binanceCandles(of market: MarketCode, interval: CandleInterval) -> [Candle]? {
        state.withLock { state in
            guard let simulated = state.simulator.market(market) else { return nil }
            return (simulated.candleHistory[interval] ?? []) + [simulated.candle(interval)].compactMap { $0 }
        }
    }

    /// Skips one update id of every market's Binance book, so the next change of each leaves a gap.
    func skipBinanceBookUpdate() {
        state.withLock { state in state.binanceBooks.skipUpdate(of: state.simulator.markets.map(\.code)) }
    }

    // MARK: - Replay

    /// Pre-generates `steps` market updates for replay mode.
    /// Frames in the DEFAULT format are encoded here, before anything is published, so the first
    /// lap costs what the others do.
    func makeReplayRing(steps: Int) -> [[EncodeCache]] {
        let start = Self.wallMilliseconds()
        let events = state.withLock { state in
            (0..<steps).map { step in state.simulator.step(at: start + Int64(step)) }
        }
        return events.map { step in
            step.map { event in
                var cache = EncodeCache(event: event)
                _ = cache.frame(format: .default, depth: nil, level: nil)
                return cache
            }
        }
    }

    /// Publishes `count` pre-generated updates from `position` (advancing it round the ring); their
    /// frames are encoded once and reused on every lap.
    /// - Returns: How many frames were queued.
    @discardableResult
    func replay(_ ring: inout [[EncodeCache]], from position: inout Int, count: Int) -> Int {
        guard !faults.stalled else { return 0 }
        let connections = state.withLock { $0.upbitConnections.values.filter { !$0.isPrivate } }
        guard !connections.isEmpty else {
            position = (position + count) % ring.count
            return 0
        }
        var queued = 0
        for _ in 0..<count {
            for index in ring[position].indices {
                for connection in connections { queued += connection.offer(&ring[position][index]) }
            }
            position = (position + 1) % ring.count
        }
        return queued
    }

    /// The most frames any connection has queued and not yet taken for writing.
    func largestBacklog() -> Int {
        let queues = state.withLock { state in
            state.upbitConnections.values.map(\.outbound) + state.binanceConnections.values.map(\.outbound)
        }
        return queues.map(\.count).max() ?? 0
    }

    // MARK: - Faults

    var faults: MockFaults { activeFaults.withLock { $0 } }

    func setFaults(_ faults: MockFaults) {
        activeFaults.withLock { $0 = faults }
    }

    /// Drops every WebSocket connection without a close frame.
    func dropAllConnections() {
        let channels = state.withLock { Array($0.channels.values) }
        for channel in channels { channel.close(promise: nil) }
    }

    /// Drops, without a close frame, every connection (of any dialect) subscribed to one of
    /// `markets`.
    func dropConnections(carrying markets: Set<MarketCode>) {
        let (upbit, binance) = state.withLock {
            (Array($0.upbitConnections.values), Array($0.binanceConnections.values))
        }
        let carries = { (market: MarketCode?) in market.map(markets.contains) ?? false }
        let carrying =
            upbit.filter { $0.entries.contains { carries($0.market) } }.map(\.id)
            + binance.filter { $0.streams.contains { carries(BinanceStream(name: $0)?.market) } }.map(\.id)
        let channels = state.withLock { state in carrying.compactMap { state.channels[$0] } }
        for channel in channels { channel.close(promise: nil) }
    }

    /// Drops the Binance connection at `position` (in connection order) without a close frame.
    func dropBinanceConnection(at position: Int) {
        let channel = state.withLock { state -> (any Channel)? in
            let ids = state.binanceConnections.keys.sorted()
            guard ids.indices.contains(position) else { return nil }
            return state.channels[ids[position]]
        }
        channel?.close(promise: nil)
    }

    /// Freezes every open Upbit connection: no more data, pings still answered; new connections
    /// are served normally.
    func freezeConnections() {
        let connections = state.withLock { Array($0.upbitConnections.values) }
        for connection in connections { connection.freeze() }
    }

    /// The open Upbit connections and their live subscription sets.
    func upbitConnectionStates() -> [MockConnectionState] {
        let connections = state.withLock { Array($0.upbitConnections.values) }
        return connections.map { connection in
            MockConnectionState(
                id: connection.id, isPrivate: connection.isPrivate, isFrozen: connection.isFrozen,
                subscriptions: Set(
                    connection.entries.map { MockSubscription(type: $0.type, market: $0.market, depth: $0.depth) }))
        }.sorted { $0.id < $1.id }
    }

    /// Whether some client holds a subscription (any dialect).
    func hasSubscriber() -> Bool {
        upbitConnectionStates().contains { !$0.subscriptions.isEmpty }
            || binanceConnectionStreams().contains { !$0.isEmpty }
    }

    /// The open Binance connections' streams, in connection order.
    func binanceConnectionStreams() -> [[String]] {
        state.withLock { $0.binanceConnections.sorted { $0.key < $1.key }.map(\.value) }.map(\.streams)
    }

    /// Forgets part of every Upbit connection's subscription set.
    func forgetSubscriptions(fraction: Double) {
        state.withLock { state in
            for connection in state.upbitConnections.values {
                connection.forget(fraction: fraction, random: &state.random)
            }
        }
    }

    /// Sends an error frame to every Upbit connection, which then closes.
    func sendErrorFrames(name: String, message: String) {
        let connections = state.withLock { Array($0.upbitConnections.values) }
        for connection in connections { connection.fail(UpbitErrorFrame(name: name, message: message), exchange: self) }
    }

    /// Sends one malformed frame to every connection, of every dialect.
    func sendMalformedFrames() {
        let (upbit, binance) = state.withLock {
            (Array($0.upbitConnections.values), Array($0.binanceConnections.values))
        }
        for connection in upbit { connection.outbound.yield(.binary(ByteBuffer(string: "{\"type\":\"tick"))) }
        for connection in binance { connection.outbound.yield(.text("{\"stream\":\"btcusdt@tra")) }
    }
}
