import Benchmark
import BenchmarkSupport
import Foundation
import Logging
import MarketStreamCore
import MarketStreamRouting
import MarketStreamTesting
import UpbitExchange

/// Routing through a running router: Upbit frames decoded and routed to 1, 10 and 100 subscribers
/// of the same stream; a burst of 1 000 subscription changes consolidated into one upstream
/// message (in-memory exchange); memory with 1 000 subscribers over 300 markets.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.throughput, .wallClock, .mallocCountTotal], scalingFactor: .kilo, maxDuration: .seconds(3))
    let logger = Logger(label: "bench", factory: { _ in SwiftLogNoOpLogHandler() })
    let btc = try! MarketCode("KRW-BTC")

    // Decode + route: Upbit ticker frames (the shared DEFAULT sample) handed to the router's
    // connection handler on this thread, each decoded once and delivered to every subscriber of
    // KRW-BTC's ticker, whose tasks drain their buffers meanwhile. One iteration is one frame:
    // deliveries are subscribers × iterations.
    let samples = ProcessInfo.processInfo.environment["MARKETSTREAM_SAMPLES"] ?? "../../shared/upbit/samples"
    let tickerText = try! String(contentsOfFile: samples + "/ticker.default.json", encoding: .utf8)
    let tickerFrame = WebSocketMessage.binary(Array(tickerText.utf8))
    // The last frame's timestamp is 1 (drop-oldest buffers never drop the newest event): a
    // subscriber recognises it by a field of the shared event, without copying the ticker out.
    let lastFrame = WebSocketMessage.binary(
        Array(tickerText.replacingOccurrences(of: "\"timestamp\":1790134742106", with: "\"timestamp\":1").utf8))
    // On one loop: the frames are fed on the module's event loop in bursts of 64 (as one socket
    // read hands them over) and the subscribers prefer the same executor, so one core does all
    // the work. On the pool: the subscribers run on the global pool, woken across threads.
    for (subscribers, onLoop) in [(1, true), (10, true), (100, true), (1, false), (100, false)] {
        Benchmark(
            "decode + route: Upbit ticker frame → \(subscribers) subscriber(s), \(onLoop ? "one event loop" : "subscribers on the pool"), per frame",
            configuration: .init(metrics: [.throughput, .wallClock, .mallocCountTotal], scalingFactor: .kilo)
        ) { benchmark in
            let exchange = DirectFeedExchange(upbit: try UpbitExchange(logger: logger))
            let executor = exchange.upbit.executor
            let router = MarketDataRouter(
                managers: [exchange],
                configuration: RouterConfiguration(debounce: .zero, gracePeriod: .zero, bufferCapacity: 1 << 16),
                logger: logger)
            try await withThrowingTaskGroup(of: Int.self) { group in
                group.addTask {
                    try await router.run()
                    return 0
                }
                let streams = try (0..<subscribers).map { _ in
                    try router.subscribe(to: .ticker, markets: [btc], policy: .dropOldest)
                }
                await router.waitForUpstreamSync(on: ChannelKey(exchange: exchange.exchange, channel: .public))
                guard let handler = exchange.handler else { fatalError("the router did not connect") }
                for stream in streams {
                    group.addTask(executorPreference: onLoop ? executor : nil) { try await countUntilLast(stream) }
                }
                let frames = benchmark.scaledIterations.count
                benchmark.startMeasurement()
                if onLoop {
                    await withTaskExecutorPreference(executor) {
                        await feed(handler, tickerFrame, count: frames - 1, then: lastFrame)
                    }
                } else {
                    await feed(handler, tickerFrame, count: frames - 1, then: lastFrame)
                }
                var delivered = 0
                for _ in 0..<subscribers { delivered += try await group.next() ?? 0 }
                benchmark.stopMeasurement()
                blackHole(delivered)
                group.cancelAll()
            }
        }
    }

    // Isolation of channels: one or two exchanges, each fed on its own event loop to one
    // subscriber on the same loop, while another task calls `health()` every 10 ms (or not).
    // Frames per second are the sum over both exchanges: two on two loops should deliver close
    // to twice one, and health polling should cost the read path next to nothing.
    for (exchanges, pollsHealth) in [(1, false), (1, true), (2, false), (2, true)] {
        Benchmark(
            "isolation: \(exchanges) exchange(s) on \(exchanges) event loop(s), \(pollsHealth ? "health() every 10 ms" : "no health polling"), per frame",
            configuration: .init(metrics: [.throughput, .wallClock], scalingFactor: .kilo)
        ) { benchmark in
            let feeds = try (0..<exchanges).map { index in
                DirectFeedExchange(
                    upbit: try UpbitExchange(exchange: ExchangeID(rawValue: "upbit-\(index)"), logger: logger))
            }
            let router = MarketDataRouter(
                managers: feeds,
                configuration: RouterConfiguration(debounce: .zero, gracePeriod: .zero, bufferCapacity: 1 << 16),
                logger: logger)
            try await withThrowingTaskGroup(of: Int.self) { group in
                group.addTask {
                    try await router.run()
                    return 0
                }
                var handlers: [any ConnectionHandler] = []
                for feed in feeds {
                    let stream = try router.subscribe(
                        to: .ticker, markets: [btc], on: feed.exchange, policy: .dropOldest)
                    await router.waitForUpstreamSync(on: ChannelKey(exchange: feed.exchange, channel: .public))
                    guard let handler = feed.handler else { fatalError("the router did not connect") }
                    handlers.append(handler)
                    group.addTask(executorPreference: feed.upbit.executor) { try await countUntilLast(stream) }
                }
                let polling = Task {
                    guard pollsHealth else { return 0 }
                    var polls = 0
                    while !Task.isCancelled {
                        blackHole(router.health())
                        polls += 1
                        try? await Task.sleep(for: .milliseconds(10))
                    }
                    return polls
                }
                let frames = benchmark.scaledIterations.count / exchanges
                benchmark.startMeasurement()
                await withTaskGroup(of: Void.self) { feeders in
                    for (feed, handler) in zip(feeds, handlers) {
                        feeders.addTask(executorPreference: feed.upbit.executor) {
                            await BenchmarkSupport.feed(handler, tickerFrame, count: frames - 1, then: lastFrame)
                        }
                    }
                }
                var delivered = 0
                for _ in feeds { delivered += try await group.next() ?? 0 }
                benchmark.stopMeasurement()
                polling.cancel()
                blackHole(await polling.value)
                blackHole(delivered)
                group.cancelAll()
            }
        }
    }

    Benchmark("consolidation: 1 000 subscription changes → 1 upstream message, per change") { benchmark in
        let exchange = InMemoryExchange()
        let router = MarketDataRouter(
            managers: [exchange], configuration: RouterConfiguration(debounce: .milliseconds(200), gracePeriod: .zero),
            logger: logger)
        let markets = (0..<1_000).map { try! MarketCode("KRW-C\($0)") }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await router.run() }
            await exchange.waitForConnection(1)
            for _ in 0..<(benchmark.scaledIterations.count / 1_000) {
                let before = exchange.snapshot.requests.count
                benchmark.startMeasurement()
                let subscriptions = try markets.map { try router.subscribe(to: .ticker, markets: [$0]) }
                benchmark.stopMeasurement()
                await exchange.waitUntil { $0.live[.public]?.count == 1_000 }
                blackHole(exchange.snapshot.requests.count - before)  // 1 when the burst fit one debounce window
                for subscription in subscriptions { subscription.cancel() }
                await exchange.waitUntil { ($0.live[.public] ?? []).isEmpty }
            }
            group.cancelAll()
        }
    }

    Benchmark(
        "memory: 1 000 subscribers over 300 markets, 10 ticks per market",
        configuration: .init(metrics: [.peakMemoryResident, .wallClock], scalingFactor: .one, maxIterations: 3)
    ) { benchmark in
        let exchange = InMemoryExchange()
        let router = MarketDataRouter(
            managers: [exchange], configuration: RouterConfiguration(debounce: .milliseconds(20), gracePeriod: .zero),
            logger: logger)
        let markets = (0..<300).map { try! MarketCode("KRW-M\($0)") }
        try await withThrowingTaskGroup(of: Int.self) { group in
            group.addTask {
                try await router.run()
                return 0
            }
            // Each subscriber follows 3 markets: every market has 10 subscribers.
            let subscriptions = try (0..<1_000).map { index in
                try router.subscribe(
                    to: .ticker,
                    markets: [markets[index % 300], markets[(index + 100) % 300], markets[(index + 200) % 300]])
            }
            await exchange.waitUntil { $0.live[.public]?.count == 300 }
            for subscription in subscriptions {
                group.addTask {
                    var received = 0
                    for try await event in subscription {
                        guard case .market(let market) = event, market.stream == .realtime else { continue }
                        received += 1
                        if received == 30 { break }
                    }
                    return received
                }
            }
            for round in 1...10 {
                for market in markets { exchange.emitTicker(market, price: ExactDecimal(round)) }
            }
            var delivered = 0
            for _ in 0..<1_000 { delivered += try await group.next() ?? 0 }
            blackHole(delivered)
            group.cancelAll()
        }
    }
}

/// Market events until the one whose timestamp is 1 ms.
nonisolated func countUntilLast(_ stream: Subscription) async throws -> Int {
    var received = 0
    for try await event in stream {
        guard case .market(let market) = event else { continue }
        received += 1
        if market.timestamp.nanoseconds == 1_000_000 { break }
    }
    return received
}
