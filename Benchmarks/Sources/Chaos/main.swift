// Chaos: the router against a mock exchange that misbehaves at random, under churn.
//
//   swift run -c release --package-path Benchmarks Chaos [SECONDS] [SEED] [upbit|binance] [STREAMS]
//   (default 300 s, seed 1, Upbit; STREAMS: Binance's streams per connection, 1 024 by default —
//   a few dozen make the router shard the channel over several connections)
//
// The mock exchange (in this process, 60 markets, 600 updates/s, the venue's message limits) drops
// connections, freezes them (open, answering pings, sending nothing), stalls all data (3 s), sends
// malformed frames and error frames, and refuses upgrades; one fault every 8–16 s, chosen at random
// from the seed. Against its Binance dialect (`binance`) the client is `BinanceExchange`, whole
// books are kept from numbered changes on a REST snapshot, and the faults are drops, stalls,
// malformed frames, refused upgrades and sequence gaps in every depth stream (the mock freezes and
// sends error frames on Upbit's connections only). Meanwhile 200 subscribers want 1–3 markets each of tickers, trades and two book
// depths, and one of them is replaced by a new one every half second.
//
// After every fault, once the exchange behaves again, the run waits (up to 20 s) until data flows,
// the channel streams, the router's upstream set equals what the live subscribers want, and the
// exchange's own view of the connection (what `LIST_SUBSCRIPTIONS` would report) holds exactly that
// set (on Binance: exactly the streams of that set). It fails (exit 1) when that does not happen, when any subscriber receives an event of a
// generation older than one it has seen or been told of (a stale epoch), when resident memory grows
// by more than 64 MB after the first fifth of the run, or when data flowed less than 95 % of the
// time outside the windows in which the exchange served nobody (stall, refusal).
import BinanceExchange
import BinanceWire
import Foundation
import Logging
import MarketStreamCore
import MarketStreamRouting
import MockExchange
import Synchronization
import UpbitExchange

/// Prints a line at once (a pipe or a file would otherwise hold `print`'s output back).
func say(_ line: String) { FileHandle.standardOutput.write(Data((line + "\n").utf8)) }

let seconds = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 300 : 300
let seed = CommandLine.arguments.count > 2 ? UInt64(CommandLine.arguments[2]) ?? 1 : 1
let venueName = CommandLine.arguments.count > 3 ? CommandLine.arguments[3] : "upbit"
let streamsPerConnection = CommandLine.arguments.count > 4 ? Int(CommandLine.arguments[4]) ?? 1_024 : 1_024
guard seconds >= 30 else {
    say("chaos: run at least 30 s")
    exit(2)
}
guard let venue = ChaosVenue(rawValue: venueName) else {
    say("chaos: the venue is upbit or binance, not '\(venueName)'")
    exit(2)
}
let faults = ChaosFault.cases(for: venue)
var quiet = Logger(label: "chaos")
quiet.logLevel = .critical
let logger = quiet

var mockConfiguration = MockExchangeConfiguration(seed: seed, marketCount: 60, updatesPerSecond: 600)
mockConfiguration.binance.streamsPerConnection = streamsPerConnection
let server = MockExchangeServer(configuration: mockConfiguration, logger: logger)
let observations = ChaosObservations()
/// Sampled every 50 ms: whether data flowed in the last 250 ms, and whether an outage fault was on.
let availability = Mutex((samples: 0, flowing: 0, outageSamples: 0, outageFlowing: 0))
let outage = Atomic<Bool>(false)

func residentMegabytes() -> Double {
    guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
    let fields = text.split(separator: " ")
    guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
    return Double(pages * Int(sysconf(Int32(_SC_PAGESIZE)))) / 1e6
}

/// What the exchange should hold for `wanted`: one entry per type and market, one book depth per
/// market (no suffix when any subscriber wants the full default, else the deepest asked for).
func exchangeSet(for wanted: Set<SubscriptionTopic>) -> Set<MockSubscription> {
    var result = Set<MockSubscription>()
    var books: [MarketCode: Int?] = [:]
    for topic in wanted {
        if topic.kind.family == "orderbook" {
            let depth = topic.kind.orderbookDepth?.rawValue
            switch books[topic.market] {
            case .none: books[topic.market] = .some(depth)
            case .some(let current):
                if current == nil || depth == nil {
                    books[topic.market] = .some(nil)
                } else {
                    books[topic.market] = .some(max(current!, depth!))
                }
            }
        } else {
            result.insert(MockSubscription(type: topic.kind.family, market: topic.market))
        }
    }
    for (market, depth) in books { result.insert(MockSubscription(type: "orderbook", market: market, depth: depth)) }
    return result
}

try await withThrowingDiscardingTaskGroup { group in
    var failures: [String] = []
    group.addTask { try await server.run() }
    let base = try await server.endpoint().webSocketBase
    let manager: any AbstractWebSocketManager =
        switch venue {
        case .upbit:
            try UpbitExchange(
                configuration: .init(
                    baseURL: base, keepaliveInterval: .milliseconds(500), silenceTolerance: .seconds(1),
                    connectTimeout: .seconds(2)),
                logger: logger)
        case .binance:
            try BinanceExchange(
                configuration: .init(
                    // Pings count against Binance's 5 incoming messages a second: one every 5 s.
                    baseURL: base + "/binance", connectTimeout: .seconds(2), keepaliveInterval: .seconds(5),
                    silenceTolerance: .seconds(1), streamsPerConnection: streamsPerConnection),
                logger: logger)
        }
    let router = MarketDataRouter(
        managers: [manager],
        configuration: RouterConfiguration(
            reconnect: ReconnectPolicy(initialDelay: .milliseconds(100), maximumDelay: .seconds(2))),
        logger: logger)
    group.addTask { try await router.run() }
    let channel = ChannelKey(exchange: manager.exchange, channel: .public)
    let population = ChaosPopulation(router: router, exchange: manager.exchange, markets: server.markets, seed: seed)
    // Every new subscription gets its consumer task here; a cancelled one's task ends by itself.
    let (newSubscriptions, consumers) = AsyncStream.makeStream(of: Subscription.self)
    group.addTask {
        await withDiscardingTaskGroup { consumerTasks in
            for await subscription in newSubscriptions {
                consumerTasks.addTask { await observations.consume(subscription) }
            }
        }
    }
    for _ in 0..<200 { consumers.yield(try population.add()) }
    @Sendable func churn() throws { consumers.yield(try population.churn()) }
    func wantedTopics() -> Set<SubscriptionTopic> { population.wantedTopics() }
    /// Why the channel is not (yet) recovered; `nil` when it is: streaming on a connection newer
    /// than `generation`, data flowing, every wanted topic upstream, and the exchange holding
    /// exactly the router's upstream set. Topics in their grace period may still be upstream,
    /// unless `strict`.
    func unrecovered(after generation: ConnectionGeneration, strict: Bool) -> String? {
        guard let health = router.health().channels.first(where: { $0.channel == channel }) else { return "no channel" }
        guard health.state == .streaming else { return "channel \(health.state)" }
        guard health.generation > generation else { return "still on generation \(health.generation)" }
        guard observations.isFlowing(within: 250_000_000) else { return "no data" }
        let wanted = wantedTopics()
        let upstream = router.upstreamTopics(on: channel)
        let desired = router.desiredTopics(on: channel)
        guard wanted.isSubset(of: upstream), upstream == desired, !strict || upstream == wanted else {
            return "router upstream: \(wanted.subtracting(upstream).count) missing, "
                + "\(upstream.subtracting(strict ? wanted : desired).count) extra"
        }
        switch venue {
        case .upbit:
            let serving = server.upbitConnections().filter { !$0.isPrivate && !$0.isFrozen }
            guard let connection = serving.last else { return "no open connection at the exchange" }
            let expected = exchangeSet(for: upstream)
            guard connection.subscriptions == expected else {
                return "exchange holds \(expected.subtracting(connection.subscriptions).count) fewer, "
                    + "\(connection.subscriptions.subtracting(expected).count) more entries than wanted"
            }
        case .binance:
            // The channel's connections (several when it is sharded), each within the limit, hold
            // the set between them, each stream once.
            let connections = server.binanceConnections()
            guard !connections.isEmpty else { return "no open connection at the exchange" }
            guard connections.allSatisfy({ $0.count <= streamsPerConnection }) else {
                return "a connection carries more than \(streamsPerConnection) streams"
            }
            let streams = Set(connections.joined())
            guard streams.count == connections.map(\.count).reduce(0, +) else {
                return "a stream is on two connections"
            }
            // Every book depth of a market is one stream (the whole book's when anyone wants it).
            let requested = (manager as? BinanceExchange)?.requestedTopics(for: upstream) ?? upstream
            let expected = Set(requested.compactMap { BinanceStream(topic: $0)?.name })
            guard streams == expected else {
                return "exchange holds \(expected.subtracting(streams).count) fewer, "
                    + "\(streams.subtracting(expected).count) more streams than wanted"
            }
        }
        return nil
    }
    func generation() -> ConnectionGeneration {
        router.health().channels.first { $0.channel == channel }?.generation ?? .none
    }

    let clock = ContinuousClock()
    let begin = clock.now
    func elapsed() -> Double { Double(begin.duration(to: clock.now).components.seconds) }
    group.addTask {
        while !Task.isCancelled {
            try await Task.sleep(for: .milliseconds(50))
            let flowing = observations.isFlowing(within: 250_000_000)
            let during = outage.load(ordering: .relaxed)
            availability.withLock { counts in
                counts.samples += 1
                if flowing { counts.flowing += 1 }
                if during {
                    counts.outageSamples += 1
                    if flowing { counts.outageFlowing += 1 }
                }
            }
        }
    }

    /// Churns while waiting `duration`.
    func churning(for duration: Duration) async throws {
        let until = clock.now + duration
        while clock.now < until {
            try await Task.sleep(for: min(.milliseconds(500), clock.now.duration(to: until)))
            try churn()
        }
    }
    /// Waits (without churn) until the channel is recovered: the seconds it took, or why it did not.
    func recovery(
        after fault: String, from generation: ConnectionGeneration = .none, strict: Bool = false
    ) async throws -> (seconds: Double?, failure: String?) {
        let started = clock.now
        var reason: String? = "not checked"
        while clock.now - started < .seconds(20) {
            reason = unrecovered(after: generation, strict: strict)
            if reason == nil {
                let took = started.duration(to: clock.now)
                return (Double(took.components.seconds) + Double(took.components.attoseconds) / 1e18, nil)
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        return (nil, "not recovered 20 s after \(fault): \(reason ?? "")")
    }

    say(
        "chaos: \(seconds) s, seed \(seed), 200 subscribers, mock exchange (\(venue.rawValue)) with 60 markets "
            + "at 600 updates/s"
            + (venue == .binance ? ", \(streamsPerConnection) streams per connection" : ""))
    let started = try await recovery(after: "start")
    if let failure = started.failure { failures.append(failure) }
    let warmUpMemory = residentMegabytes()
    var memoryAfterWarmUp: Double?
    var peakMemory = warmUpMemory
    var recoveries: [ChaosFault: [Double]] = [:]
    let end = begin + .seconds(seconds)
    say("   time  fault        recovered in   events delivered   resident MB")
    while clock.now + .seconds(20) < end {
        try await churning(for: .milliseconds(population.random { Int64.random(in: 8_000...16_000, using: &$0) }))
        let fault = population.random { faults.randomElement(using: &$0)! }
        let before = fault.replacesConnection(on: venue) ? generation() : .none
        if fault.isOutage { outage.store(true, ordering: .relaxed) }
        fault.begin(on: server)
        try await churning(for: fault.duration)
        fault.end(on: server)
        outage.store(false, ordering: .relaxed)
        let recovered = try await recovery(after: fault.rawValue, from: before)
        let took = recovered.seconds
        if let failure = recovered.failure { failures.append(failure) }
        if let took { recoveries[fault, default: []].append(took) }
        let memory = residentMegabytes()
        if memoryAfterWarmUp == nil, elapsed() >= Double(seconds) / 5 { memoryAfterWarmUp = memory }
        if memoryAfterWarmUp != nil { peakMemory = max(peakMemory, memory) }
        say(
            String(
                format: "%6.0f s  %@ %10@   %16d   %11.1f", elapsed(),
                fault.rawValue.padding(toLength: 11, withPad: " ", startingAt: 0) as NSString,
                (took.map { String(format: "%.2f s", $0) } ?? "NEVER") as NSString, observations.events, memory))
    }
    try await churning(for: max(.zero, clock.now.duration(to: end)))
    if let failure = try await recovery(after: "the last churn", strict: true).failure { failures.append(failure) }

    let counts = availability.withLock { $0 }
    let overall = Double(counts.flowing) / Double(max(1, counts.samples))
    let outside =
        Double(counts.flowing - counts.outageFlowing) / Double(max(1, counts.samples - counts.outageSamples))
    let growth = peakMemory - (memoryAfterWarmUp ?? warmUpMemory)
    let stale = observations.staleEvents
    say("")
    for fault in faults {
        let times = recoveries[fault] ?? []
        guard !times.isEmpty else { continue }
        say(
            String(
                format: "%@ %2d times, recovered in %.2f s on average, %.2f s at most",
                fault.rawValue.padding(toLength: 11, withPad: " ", startingAt: 0) as NSString,
                times.count, times.reduce(0, +) / Double(times.count), times.max()!))
    }
    say(
        String(
            format: "data flowed %.1f %% of the time (%.1f %% outside exchange-wide outages); %d events delivered",
            overall * 100, outside * 100, observations.events))
    let final = router.health().channels.first { $0.channel == channel }
    say(
        "\(population.churned) subscriptions churned; \(observations.restoredEvents) restore notices; "
            + "\(stale.count) stale-epoch events; \(final?.connections ?? 0) connection(s) at the end, "
            + "\(final?.upstreamTopics ?? 0) topics upstream")
    say(
        String(
            format: "resident memory after warm-up %.1f MB, peak %.1f MB (+%.1f MB)",
            memoryAfterWarmUp ?? warmUpMemory, peakMemory, growth))
    for event in stale.prefix(5) { failures.append("stale-epoch event: \(event)") }
    if outside < 0.95 { failures.append(String(format: "availability %.1f %% is under 95 %%", outside * 100)) }
    if growth > 64 { failures.append(String(format: "resident memory grew by %.1f MB", growth)) }
    for failure in failures { say("FAILED: \(failure)") }
    say(failures.isEmpty ? "chaos passed" : "chaos FAILED")
    consumers.finish()
    group.cancelAll()
    exit(failures.isEmpty ? 0 : 1)
}
