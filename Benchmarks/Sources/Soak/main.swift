// Soak: the router under a steady load with churn and faults, its resident memory sampled, to show
// that nothing grows.
//
//   swift run -c release Soak [MINUTES] [SAMPLE_SECONDS] [WS_BASE]   (default 10 minutes, a sample every 30 s)
//
// The mock exchange simulates 300 markets at 2 000 updates/s and drops every connection once a
// minute. It runs in this process, or in another when WS_BASE is given, so that only the client's
// memory is measured (the simulator's own trade and candle histories fill up for hours):
//
//   marketstream mock-server --port 18800 --markets 300 --rate 2000 --drop-every 60 &
//   swift run -c release Soak 60 30 ws://127.0.0.1:18800
//
// Meanwhile 1 000 ticker subscribers follow 3 markets each (every market has 10),
// 100 more follow trades and 30 follow order books; every second 20 subscriptions end and 20 new
// ones start. After a warm-up (a fifth of the run, at least two minutes and one sample), the
// resident set's growth is fitted with a straight line: the run fails (exit 1) when it grows by
// more than 10 MB an hour, when the upstream set stops matching what subscribers want, or when the
// run is too short to judge (under about three minutes).
import Foundation
import Logging
import MarketStreamCore
import MarketStreamRouting
import MockExchange
import Synchronization
import UpbitExchange

let minutes = CommandLine.arguments.count > 1 ? Double(CommandLine.arguments[1]) ?? 10 : 10
let sampleSeconds = CommandLine.arguments.count > 2 ? Double(CommandLine.arguments[2]) ?? 30 : 30
let externalBase = CommandLine.arguments.count > 3 ? CommandLine.arguments[3] : nil
var quiet = Logger(label: "soak")
quiet.logLevel = .critical
let logger = quiet

/// Resident memory of this process, in bytes (`/proc/self/statm`).
func residentBytes() -> Int {
    guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
    let fields = text.split(separator: " ")
    guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
    return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
}

/// Least-squares slope of `values` over `times`.
func slope(_ times: [Double], _ values: [Double]) -> Double {
    let n = Double(times.count)
    guard n >= 2 else { return 0 }
    let meanT = times.reduce(0, +) / n
    let meanV = values.reduce(0, +) / n
    var numerator = 0.0
    var denominator = 0.0
    for (t, v) in zip(times, values) {
        numerator += (t - meanT) * (v - meanV)
        denominator += (t - meanT) * (t - meanT)
    }
    return denominator == 0 ? 0 : numerator / denominator
}

let delivered = Atomic<Int>(0)
let server = MockExchangeServer(
    configuration: MockExchangeConfiguration(
        marketCount: 300, updatesPerSecond: 2_000, messageLimits: [RateLimit(1_000, per: .seconds(1))],
        faults: MockFaults(dropEvery: .seconds(60))),
    logger: logger)

// A discarding group: the consumer tasks of ended subscriptions leave nothing behind.
try await withThrowingDiscardingTaskGroup { group in
    let base: String
    if let externalBase {
        base = externalBase
    } else {
        group.addTask { try await server.run() }
        base = try await server.endpoint().webSocketBase
    }
    let upbit = try UpbitExchange(configuration: .init(baseURL: base), logger: logger)
    let router = MarketDataRouter(managers: [upbit], logger: logger)
    group.addTask { try await router.run() }
    let markets = externalBase == nil ? server.markets : try await upbit.rest.markets().map(\.code)
    guard markets.count >= 300 else { fatalError("the soak needs a mock exchange with 300 markets (--markets 300)") }
    let channel = ChannelKey(exchange: upbit.exchange, channel: .public)

    /// Starts a consumer task for one subscription; it ends when the subscription is cancelled.
    func consume(_ subscription: Subscription) {
        group.addTask {
            for try await event in subscription where event.marketEvent != nil {
                delivered.add(1, ordering: .relaxed)
            }
        }
    }
    /// The `index`th ticker subscriber's three markets.
    func tickerMarkets(_ index: Int) -> [MarketCode] {
        [markets[index % 300], markets[(index * 7 + 100) % 300], markets[(index * 13 + 200) % 300]]
    }
    func ticker(_ index: Int) throws -> Subscription {
        try router.subscribe(to: .ticker, markets: tickerMarkets(index))
    }

    var tickers = try (0..<1_000).map(ticker)
    var tickerIndex = Array(0..<1_000)
    let trades = try (0..<100).map { try router.subscribe(to: .trade, markets: [markets[$0 % 300]]) }
    let books = try (0..<30).map { try router.subscribe(to: .orderbook(depth: .fifteen), markets: [markets[$0]]) }
    for subscription in tickers + trades + books { consume(subscription) }

    let clock = ContinuousClock()
    let start = clock.now
    let end = start + .milliseconds(Int64(minutes * 60_000))
    var nextSample = start
    var samples: [(seconds: Double, resident: Int, delivered: Int, reconnects: Int, topics: Int)] = []
    var churn = 1_000
    print(
        "soak: \(Int(minutes)) min, a sample every \(Int(sampleSeconds)) s, mock exchange "
            + (externalBase == nil ? "in this process" : "at \(base)"))
    print("   time   resident MB   events delivered   reconnects   upstream topics")
    while clock.now < end {
        // Churn: 20 ticker subscriptions end (their tasks finish) and 20 new ones start.
        for _ in 0..<20 {
            let victim = Int.random(in: 0..<tickers.count)
            tickers[victim].cancel()
            tickers[victim] = try ticker(churn)
            tickerIndex[victim] = churn
            consume(tickers[victim])
            churn += 1
        }
        if clock.now >= nextSample {
            let health = router.health().channels.first { $0.channel == channel }
            let sample = (
                seconds: secondsSince(start, clock), resident: residentBytes(),
                delivered: delivered.load(ordering: .relaxed), reconnects: health?.reconnects ?? 0,
                topics: router.upstreamTopics(on: channel).count
            )
            samples.append(sample)
            print(
                String(
                    format: "%6.0f s %12.1f %18d %12d %17d", sample.seconds, Double(sample.resident) / 1e6,
                    sample.delivered, sample.reconnects, sample.topics))
            nextSample = nextSample + .milliseconds(Int64(sampleSeconds * 1_000))
        }
        try await Task.sleep(for: .seconds(1))
    }
    // The upstream set must equal what the live subscriptions want.
    await router.waitForUpstreamSync(on: channel)
    var wanted = Set<SubscriptionTopic>()
    for index in tickerIndex {
        for market in tickerMarkets(index) {
            wanted.insert(SubscriptionTopic(exchange: upbit.exchange, kind: .ticker, market: market))
        }
    }
    for index in 0..<100 {
        wanted.insert(SubscriptionTopic(exchange: upbit.exchange, kind: .trade, market: markets[index % 300]))
    }
    for index in 0..<30 {
        wanted.insert(
            SubscriptionTopic(exchange: upbit.exchange, kind: .orderbook(depth: .fifteen), market: markets[index]))
    }
    let upstream = router.upstreamTopics(on: channel)
    // Allocator pools and buffers fill during the first minutes; growth is judged after them.
    let warmUp = max(minutes * 60 / 5, 120)
    let settled = samples.dropFirst(max(1, samples.firstIndex { $0.seconds >= warmUp } ?? samples.count))
    let growth = slope(settled.map(\.seconds), settled.map { Double($0.resident) }) * 3_600 / 1e6
    let first = settled.first.map { Double($0.resident) / 1e6 } ?? 0
    let last = settled.last.map { Double($0.resident) / 1e6 } ?? 0
    print(
        String(
            format:
                "after warm-up: %.1f MB → %.1f MB, fitted growth %.2f MB/hour; %d events delivered, %d subscriptions churned",
            first, last, growth, delivered.load(ordering: .relaxed), churn - 1_000))
    print("upstream topics \(upstream.count), wanted \(wanted.count): \(upstream == wanted ? "equal" : "DIFFERENT")")
    if settled.count < 2 { print("too short to judge growth: run at least three minutes") }
    let passed = growth <= 10 && upstream == wanted && settled.count >= 2
    print(passed ? "soak passed" : "soak FAILED")
    _ = (trades, books)
    group.cancelAll()
    exit(passed ? 0 : 1)
}

func secondsSince(_ start: ContinuousClock.Instant, _ clock: ContinuousClock) -> Double {
    let elapsed = start.duration(to: clock.now)
    return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
}
