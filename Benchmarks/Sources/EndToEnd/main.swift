// End to end over loopback: WebSocket server → Upbit client (real socket, real decoder) → router →
// one subscriber.
//
//   swift run -c release EndToEnd latency [seconds] [rate] [port]   (default 10 s at 10 000 frames/s)
//   swift run -c release EndToEnd latency-server port [rate]      (the latency server alone)
//   swift run -c release EndToEnd throughput [seconds]        (default 5 s, after a 3 s warm-up)
//   swift run -c release EndToEnd client WS_BASE SECONDS MARKET...   (trade events from a server)
//   swift run -c release EndToEnd flood [seconds] [port]     (a source as fast as the socket: raw reader, loop, pool)
//   swift run -c release EndToEnd flood-server port          (the flood source alone)
//
// latency: a small NIO server (LatencyServer.swift) sends Upbit ticker frames (the shared DEFAULT
// sample) at a steady rate from a timer on its event loop; each frame carries its send time in
// nanoseconds in `acc_trade_volume_24h` (an exact decimal, so it survives decoding unchanged), and the
// subscriber records `now − sent` and `now − receivedAt` in HdrHistograms.
// throughput: the mock exchange in replay mode (frames encoded once) as fast as it can, every
// market's ticker, trade and orderbook, counted as events delivered to the subscriber.
import Foundation
import Histogram
import Logging
import MarketStreamCore
import MarketStreamRouting
import MockExchange
import NIOCore
import Synchronization
import UpbitExchange

let mode = CommandLine.arguments.count > 1 ? CommandLine.arguments[1] : "latency"
let seconds = CommandLine.arguments.count > 2 ? Double(CommandLine.arguments[2]) ?? 10 : (mode == "latency" ? 10 : 5)
let rate = CommandLine.arguments.count > 3 ? Int(CommandLine.arguments[3]) ?? 10_000 : 10_000
var quiet = Logger(label: "end-to-end")
quiet.logLevel = .critical
let logger = quiet

func wallNanoseconds() -> Int64 { MarketDataRouter.systemWallClock().nanoseconds }

func secondsText(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}

/// The shared ticker sample split around the value of `acc_trade_volume_24h`.
func tickerTemplate() throws -> (prefix: [UInt8], suffix: [UInt8]) {
    let samples = ProcessInfo.processInfo.environment["MARKETSTREAM_SAMPLES"] ?? "../../shared/upbit/samples"
    let text = try String(contentsOfFile: samples + "/ticker.default.json", encoding: .utf8)
    guard let key = text.range(of: "\"acc_trade_volume_24h\":") else {
        fatalError("no acc_trade_volume_24h in the sample")
    }
    let valueEnd = text[key.upperBound...].firstIndex { $0 == "," || $0 == "}" }!
    return (Array(text[..<key.upperBound].utf8), Array(text[valueEnd...].utf8))
}

/// The shared trade samples (KRW-BTC), DEFAULT and SIMPLE.
func tradeFrames() throws -> FloodFrames {
    let samples = ProcessInfo.processInfo.environment["MARKETSTREAM_SAMPLES"] ?? "../../shared/upbit/samples"
    func sample(_ name: String) throws -> ByteBuffer {
        ByteBuffer(string: try String(contentsOfFile: "\(samples)/\(name)", encoding: .utf8))
    }
    return FloodFrames(standard: try sample("trade.default.json"), simple: try sample("trade.simple.json"))
}

/// Send → subscriber latency, and the part of it inside MarketStream (the frame's arrival at the
/// connection, `receivedAt`, before decoding → the subscriber).
struct LatencyRecord: Sendable {
    var total = Histogram<UInt64>(highestTrackableValue: 10_000_000_000, numberOfSignificantValueDigits: .three)
    var inLibrary = Histogram<UInt64>(highestTrackableValue: 10_000_000_000, numberOfSignificantValueDigits: .three)
    var count = 0

    static func summary(_ histogram: Histogram<UInt64>) -> String {
        func micro(_ value: UInt64) -> String { String(format: "%.1f", Double(value) / 1_000) }
        return "p50 \(micro(histogram.valueAtPercentile(50))) µs, p99 \(micro(histogram.valueAtPercentile(99))) µs, "
            + "p99.9 \(micro(histogram.valueAtPercentile(99.9))) µs, max \(micro(histogram.max)) µs"
    }
}

/// Records every ticker's latency after a 2-second warm-up, for `seconds`.
func recordLatency(_ ticks: Subscription, seconds: Double) async throws -> LatencyRecord {
    var record = LatencyRecord()
    let clock = ContinuousClock()
    let warmUpEnd = clock.now + .seconds(2)
    var measuring = false
    var deadline = clock.now
    for try await event in ticks {
        guard case .market(let market) = event, case .ticker(let ticker) = market.payload else { continue }
        let now = wallNanoseconds()
        if !measuring {
            if clock.now < warmUpEnd { continue }
            measuring = true
            deadline = clock.now + .milliseconds(Int64(seconds * 1_000))
        }
        guard let sent = Int64(ticker.volume24h.description) else { continue }
        _ = record.total.record(UInt64(max(0, now - sent)))
        _ = record.inLibrary.record(UInt64(max(0, now - market.receivedAt.nanoseconds)))
        record.count += 1
        if record.count % 1_000 == 0, clock.now >= deadline { break }
    }
    return record
}

/// Trades reaching user code in `window` seconds after a 3-second warm-up: (count, seconds).
func countTrades(_ trades: Subscription, window: Double) async throws -> (Int, Double) {
    let clock = ContinuousClock()
    let warmUpEnd = clock.now + .seconds(3)
    var start: ContinuousClock.Instant?
    var count = 0
    for try await event in trades {
        guard case .market = event else { continue }
        guard let began = start else {
            if clock.now >= warmUpEnd { start = clock.now }
            continue
        }
        count += 1
        if count % 256 == 0, began.duration(to: clock.now) >= .milliseconds(Int64(window * 1_000)) { break }
    }
    return (count, secondsText(start.map { $0.duration(to: clock.now) } ?? .zero))
}

switch mode {
case "latency-server":
    // `EndToEnd latency-server PORT [RATE]`: the latency server alone, for a client in another process.
    let port = Int(CommandLine.arguments[2]) ?? 18_780
    let rate = CommandLine.arguments.count > 3 ? Int(CommandLine.arguments[3]) ?? 10_000 : 10_000
    let bound = try await startLatencyServer(port: port, rate: rate, template: try tickerTemplate())
    print("latency server on ws://127.0.0.1:\(bound), \(rate) frames/s per client")
    try await Task.sleep(for: .seconds(86_400))
case "latency":
    // `EndToEnd latency [SECONDS] [RATE] [PORT]`: against a `latency-server` at PORT, or one started
    // in this process. SUBSCRIBER=pool|loop: the subscriber's task runs on the global pool (the
    // default) or with a preference for the connection's event loop (no thread wake-up per frame).
    let external = CommandLine.arguments.count > 4 ? Int(CommandLine.arguments[4]) : nil
    let onLoop = ProcessInfo.processInfo.environment["SUBSCRIBER"] == "loop"
    let port =
        if let external { external } else {
            try await startLatencyServer(port: 0, rate: rate, template: try tickerTemplate())
        }
    let upbit = try UpbitExchange(configuration: .init(baseURL: "ws://127.0.0.1:\(port)"), logger: logger)
    let router = MarketDataRouter(
        managers: [upbit], configuration: RouterConfiguration(keepsChannelsWarm: false), logger: logger)
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await router.run() }
        let ticks = try router.subscribe(to: .ticker, markets: [MarketCode("KRW-BTC")])
        let record =
            onLoop
            ? try await withTaskExecutorPreference(upbit.executor) { try await recordLatency(ticks, seconds: seconds) }
            : try await recordLatency(ticks, seconds: seconds)
        print(
            "end to end at \(rate) frames/s (server \(external == nil ? "in this process" : "in another process"), "
                + "subscriber on the \(onLoop ? "connection's event loop" : "global pool")), \(record.count) frames: "
                + LatencyRecord.summary(record.total))
        print("  of which arrival at the connection → subscriber: \(LatencyRecord.summary(record.inLibrary))")
        group.cancelAll()
    }
case "flood-server":
    // `EndToEnd flood-server PORT`: the flood server alone, for clients in another process.
    let port = Int(CommandLine.arguments[2]) ?? 18_790
    let bound = try await startFloodServer(port: port, frames: try tradeFrames())
    print("flood server on ws://127.0.0.1:\(bound): Upbit trade frames as fast as each client takes them")
    try await Task.sleep(for: .seconds(86_400))
case "flood":
    // `EndToEnd flood [SECONDS] [PORT]`: one source writing pre-encoded trade frames as fast as the
    // socket takes them (in this process, or a `flood-server` at PORT); measured one after another:
    // the raw reader (the ceiling), then Upbit client → router → one subscriber on the connection's
    // loop, then from the global pool.
    let external = CommandLine.arguments.count > 3 ? Int(CommandLine.arguments[3]) : nil
    let port = if let external { external } else { try await startFloodServer(port: 0, frames: try tradeFrames()) }
    let raw = try await measureRawReader(port: port, seconds: seconds)
    let loop = try await measureRouted(port: port, seconds: seconds, onLoop: true)
    let pool = try await measureRouted(port: port, seconds: seconds, onLoop: false)
    func k(_ value: Double) -> String { "\(Int(value / 1_000)) k" }
    print("flood source (\(external == nil ? "in this process" : "in another process")), trade frames:")
    print("  raw reader on the transport, decoding nothing: \(k(raw)) frames/s (the ceiling)")
    print(
        "  Upbit client → router → subscriber on the connection's loop: \(k(loop.events)) trades/s delivered "
            + "(\(k(loop.frames)) frames/s decoded) = \(String(format: "%.2f", loop.events / raw)) of the ceiling")
    print(
        "  Upbit client → router → subscriber on the pool: \(k(pool.events)) trades/s delivered "
            + "(\(k(pool.frames)) frames/s decoded) = \(String(format: "%.2f", pool.events / raw)) of the ceiling")
case "throughput":
    let server = MockExchangeServer(
        configuration: MockExchangeConfiguration(marketCount: 20, updatesPerSecond: 10_000_000, replaySteps: 20_000),
        logger: logger)
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await server.run() }
        let base = try await server.endpoint().webSocketBase
        let upbit = try UpbitExchange(configuration: .init(baseURL: base), logger: logger)
        let router = MarketDataRouter(managers: [upbit], logger: logger)
        group.addTask { try await router.run() }
        let events = try router.subscribe(to: .ticker, markets: server.markets)
        let trades = try router.subscribe(to: .trade, markets: server.markets)
        let books = try router.subscribe(to: .orderbook, markets: server.markets)
        let clock = ContinuousClock()
        var start = clock.now + .seconds(3)
        var warming = true
        var count = 0
        var framesAtStart = 0
        let received = { router.health().channels.first { $0.channel.channel == .public }?.messagesReceived ?? 0 }
        // Count tickers, with trades and books flowing alongside on the same socket.
        group.addTask { for try await _ in trades {} }
        group.addTask { for try await _ in books {} }
        for try await event in events {
            guard case .market = event else { continue }
            if warming {
                if clock.now >= start {
                    warming = false
                    start = clock.now
                    framesAtStart = received()
                }
                continue
            }
            count += 1
            if count % 1_000 == 0, start.duration(to: clock.now) >= .milliseconds(Int64(seconds * 1_000)) { break }
        }
        let elapsed = secondsText(start.duration(to: clock.now))
        let frames = received() - framesAtStart
        print(
            "mock exchange → Upbit client → router → subscribers: \(Int(Double(frames) / elapsed)) frames/s decoded and "
                + "routed; \(Int(Double(count) / elapsed)) ticker events/s reached their subscriber "
                + "(trade and orderbook subscribers alongside; \(events.droppedCount + trades.droppedCount + books.droppedCount) "
                + "events dropped by the drop-oldest buffers)")
        group.cancelAll()
    }
case "client":
    // `EndToEnd client WS_BASE SECONDS MARKET...`: trade events of an external server delivered to
    // user code, counted after a 3-second warm-up (for Benchmarks/peers/run.sh).
    let base = CommandLine.arguments[2]
    let window = Double(CommandLine.arguments[3]) ?? 10
    let markets = try CommandLine.arguments.dropFirst(4).map { try MarketCode($0) }
    // FORMAT=SIMPLE asks for Upbit's short keys, as cryptofeed does.
    let format = ProcessInfo.processInfo.environment["FORMAT"] ?? "DEFAULT"
    let upbit = try UpbitExchange(configuration: .init(baseURL: base, format: format), logger: logger)
    let router = MarketDataRouter(managers: [upbit], logger: logger)
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await router.run() }
        let trades = try router.subscribe(to: .trade, markets: markets)
        // SUBSCRIBER=loop: user code runs on the connection's event loop, as cryptofeed's callbacks
        // run on its read loop.
        let (count, elapsed) =
            ProcessInfo.processInfo.environment["SUBSCRIBER"] == "loop"
            ? try await withTaskExecutorPreference(upbit.executor) { try await countTrades(trades, window: window) }
            : try await countTrades(trades, window: window)
        print("marketstream \(count) \(String(format: "%.3f", elapsed))")
        group.cancelAll()
    }
default:
    print(
        "usage: EndToEnd latency [seconds] [rate] [port] | EndToEnd latency-server port [rate] | "
            + "EndToEnd throughput [seconds] | EndToEnd flood [seconds] [port] | EndToEnd flood-server port | "
            + "EndToEnd client WS_BASE SECONDS MARKET...")
}
