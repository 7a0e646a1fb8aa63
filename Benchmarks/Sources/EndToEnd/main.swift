// End to end over loopback: WebSocket server → Upbit client (real socket, real decoder) → router →
// one subscriber.
//
//   swift run -c release EndToEnd latency [seconds] [rate]    (default 10 s at 10 000 frames/s)
//   swift run -c release EndToEnd throughput [seconds]        (default 5 s, after a 3 s warm-up)
//   swift run -c release EndToEnd client WS_BASE SECONDS MARKET...   (trade events from a server)
//
// latency: a small server sends Upbit ticker frames (the shared DEFAULT sample) at a steady rate;
// each frame carries its send time in nanoseconds in `acc_trade_volume` (an exact decimal, so it
// survives decoding unchanged), and the subscriber records `now − sent` in an HdrHistogram.
// throughput: the mock exchange in replay mode (frames encoded once) as fast as it can, every
// market's ticker, trade and orderbook, counted as events delivered to the subscriber.
import Foundation
import Histogram
import Hummingbird
import HummingbirdWebSocket
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

/// The shared ticker sample split around the value of `acc_trade_volume`.
func tickerTemplate() throws -> (prefix: [UInt8], suffix: [UInt8]) {
    let samples = ProcessInfo.processInfo.environment["MARKETSTREAM_SAMPLES"] ?? "../../shared/upbit/samples"
    let text = try String(contentsOfFile: samples + "/ticker.default.json", encoding: .utf8)
    guard let key = text.range(of: "\"acc_trade_volume\":") else { fatalError("no acc_trade_volume in the sample") }
    let valueEnd = text[key.upperBound...].firstIndex { $0 == "," || $0 == "}" }!
    return (Array(text[..<key.upperBound].utf8), Array(text[valueEnd...].utf8))
}

/// Sends ticker frames at `rate` per second to whoever subscribes, each stamped with its send time.
func latencyServer(rate: Int, template: (prefix: [UInt8], suffix: [UInt8])) -> some ApplicationProtocol {
    Application(
        router: Router(),
        server: .http1WebSocketUpgrade(configuration: .init(ws: WebSocketServerConfiguration(maxFrameSize: 1 << 20))) {
            _, _, _ in
            .upgrade([:]) { inbound, outbound, _ in
                var messages = inbound.messages(maxSize: 1 << 20).makeAsyncIterator()
                guard try await messages.next() != nil else { return }  // the subscription request
                let clock = ContinuousClock()
                var next = clock.now
                let perTick = max(1, rate / 1_000)
                let tick = Duration.nanoseconds(Int64(1_000_000_000 / (rate / perTick)))
                while !Task.isCancelled {
                    for _ in 0..<perTick {
                        var frame = ByteBuffer(bytes: template.prefix)
                        frame.writeString(String(wallNanoseconds()))
                        frame.writeBytes(template.suffix)
                        try await outbound.write(.binary(frame))
                    }
                    next += tick
                    try await clock.sleep(until: next)
                }
            }
        },
        configuration: ApplicationConfiguration(address: .hostname("127.0.0.1", port: 0)),
        onServerRunning: { channel in portBox.set(channel.localAddress?.port ?? 0) },
        logger: logger)
}

/// Hands the server's port to the client side.
final class PortBox: Sendable {
    private let state = Mutex<(port: Int, waiters: [CheckedContinuation<Int, Never>])>((0, []))

    func set(_ value: Int) {
        let waiters = state.withLock { state in
            state.port = value
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume(returning: value) }
    }

    func get() async -> Int {
        await withCheckedContinuation { continuation in
            let port = state.withLock { state -> Int in
                if state.port == 0 { state.waiters.append(continuation) }
                return state.port
            }
            if port != 0 { continuation.resume(returning: port) }
        }
    }
}
let portBox = PortBox()

switch mode {
case "latency":
    let template = try tickerTemplate()
    let server = latencyServer(rate: rate, template: template)
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await server.runService() }
        let port = await portBox.get()
        let upbit = try UpbitExchange(configuration: .init(baseURL: "ws://127.0.0.1:\(port)"), logger: logger)
        let router = MarketDataRouter(
            managers: [upbit], configuration: RouterConfiguration(keepsChannelsWarm: false), logger: logger)
        group.addTask { try await router.run() }
        var histogram = Histogram<UInt64>(highestTrackableValue: 10_000_000_000, numberOfSignificantValueDigits: .three)
        let ticks = try router.subscribe(to: .ticker, markets: [MarketCode("KRW-BTC")])
        let clock = ContinuousClock()
        let warmUpEnd = clock.now + .seconds(2)
        var measuring = false
        var deadline = clock.now
        var count = 0
        for try await event in ticks {
            guard case .market(let market) = event, case .ticker(let ticker) = market.payload else { continue }
            let now = wallNanoseconds()
            if !measuring {
                if clock.now < warmUpEnd { continue }
                measuring = true
                deadline = clock.now + .milliseconds(Int64(seconds * 1_000))
            }
            guard let sent = Int64(ticker.accTradeVolume.description) else { continue }
            _ = histogram.record(UInt64(max(0, now - sent)))
            count += 1
            if count % 1_000 == 0, clock.now >= deadline { break }
        }
        func micro(_ percentile: Double) -> String {
            String(format: "%.1f", Double(histogram.valueAtPercentile(percentile)) / 1_000)
        }
        print(
            "end to end at \(rate) frames/s, \(count) frames: p50 \(micro(50)) µs, p99 \(micro(99)) µs, "
                + "p99.9 \(micro(99.9)) µs, max \(String(format: "%.1f", Double(histogram.max) / 1_000)) µs")
        group.cancelAll()
    }
case "throughput":
    let server = MockExchangeServer(
        configuration: MockExchangeConfiguration(marketCount: 20, updatesPerSecond: 10_000_000, replaySteps: 20_000),
        logger: logger)
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await server.run() }
        let base = await server.endpoint().webSocketBase
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
        let ticks = try router.subscribe(to: .trade, markets: markets)
        let clock = ContinuousClock()
        let warmUpEnd = clock.now + .seconds(3)
        var start: ContinuousClock.Instant?
        var count = 0
        for try await event in ticks {
            guard case .market = event else { continue }
            guard let began = start else {
                if clock.now >= warmUpEnd { start = clock.now }
                continue
            }
            count += 1
            if count % 256 == 0, began.duration(to: clock.now) >= .milliseconds(Int64(window * 1_000)) { break }
        }
        print("marketstream \(count) \(String(format: "%.3f", secondsText(start!.duration(to: clock.now))))")
        group.cancelAll()
    }
default:
    print("usage: EndToEnd latency [seconds] [rate] | EndToEnd throughput [seconds] | EndToEnd client WS_BASE SECONDS MARKET...")
}
