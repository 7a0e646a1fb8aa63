// A fixed decode (or decode + route) loop for instruction-level profiling, where package-benchmark's
// harness would be in the way:
//
//   swift build -c release --product DecodeProfile
//   objcopy --strip-debug .build/release/DecodeProfile /tmp/DecodeProfile   (valgrind cannot read this
//   valgrind --tool=callgrind /tmp/DecodeProfile ticker.default 200000        toolchain's DWARF 5)
//   .build/release/DecodeProfile ticker.default 1000000 route 10    (through the router to 10 subscribers)
//
// FRAME is a sample name under shared/upbit/samples or a path; `binance/NAME` decodes
// Tests/VenueSamples/binance/NAME.json with the Binance module. It prints frames/s too, but the
// timed figures belong to DecodeBenchmarks and RoutingBenchmarks.
import BenchmarkSupport
import BinanceExchange
import Foundation
import Logging
import MarketStreamCore
import MarketStreamRouting
import UpbitExchange

let arguments = CommandLine.arguments
let name = arguments.count > 1 ? arguments[1] : "ticker.default"
let count = arguments.count > 2 ? Int(arguments[2]) ?? 1_000_000 : 1_000_000
let routing = arguments.count > 3 && arguments[3] == "route"
let subscribers = arguments.count > 4 ? Int(arguments[4]) ?? 1 : 1
let samples = ProcessInfo.processInfo.environment["MARKETSTREAM_SAMPLES"] ?? "../../shared/upbit/samples"
let isBinance = name.hasPrefix("binance/")
let venueSamples = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Tests/VenueSamples").path
let path =
    isBinance ? "\(venueSamples)/\(name).json" : name.contains("/") ? name : "\(samples)/\(name).json"
let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))

func report(_ start: ContinuousClock.Instant, _ what: String) {
    let elapsed = start.duration(to: .now)
    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    print(
        "\(name) \(what): \(count) frames in \(String(format: "%.3f", seconds)) s = \(Int(Double(count) / seconds)) frames/s"
    )
}

if isBinance {
    let binance = try BinanceExchange(
        configuration: .init(baseURL: "ws://127.0.0.1:1"),
        logger: Logger(label: "profile", factory: { _ in SwiftLogNoOpLogHandler() }))
    let context = DecodeContext(
        exchange: "binance", channel: .public, generation: ConnectionGeneration(1),
        receivedAt: UnixTime(milliseconds: 0))
    let frame = WebSocketMessage.binary(bytes)
    var output = DecodedFrame()
    let start = ContinuousClock.now
    for _ in 0..<count {
        output.removeAll()
        try binance.decode(frame, context: context, into: &output)
    }
    report(start, "decoded")
} else if !routing {
    let decoder = UpbitFrameDecoder()
    let context = DecodeContext(
        exchange: "upbit", channel: .public, generation: ConnectionGeneration(1), receivedAt: UnixTime(milliseconds: 0))
    var output = DecodedFrame()
    let start = ContinuousClock.now
    for _ in 0..<count {
        output.removeAll()
        try decoder.decode(bytes, context: context, into: &output)
    }
    report(start, "decoded")
} else {
    let logger = Logger(label: "profile", factory: { _ in SwiftLogNoOpLogHandler() })
    let exchange = DirectFeedExchange(upbit: try UpbitExchange(logger: logger))
    let router = MarketDataRouter(
        managers: [exchange],
        configuration: RouterConfiguration(debounce: .zero, gracePeriod: .zero, bufferCapacity: 1 << 16),
        logger: logger)
    var probe = DecodedFrame()
    try UpbitFrameDecoder().decode(
        bytes,
        context: DecodeContext(
            exchange: "upbit", channel: .public, generation: .none, receivedAt: UnixTime(milliseconds: 0)),
        into: &probe)
    let event = probe.events[0]
    try await withThrowingTaskGroup(of: Int.self) { group in
        group.addTask {
            try await router.run()
            return 0
        }
        let streams = try (0..<subscribers).map { _ in
            try router.subscribe(to: event.kind, markets: [event.market], policy: .dropOldest)
        }
        await router.waitForUpstreamSync(on: ChannelKey(exchange: exchange.exchange, channel: .public))
        guard let handler = exchange.handler else { fatalError("the router did not connect") }
        let onLoop = ProcessInfo.processInfo.environment["ON_LOOP"] == "1"
        for stream in streams {
            group.addTask(executorPreference: onLoop ? exchange.upbit.executor : nil) {
                var received = 0
                for try await event in stream {
                    guard case .market = event else { continue }
                    received += 1
                    if received == count { break }
                }
                return received
            }
        }
        let frame = WebSocketMessage.binary(bytes)
        if ProcessInfo.processInfo.environment["ON_LOOP"] == "1" {
            // Everything on one event loop: frames in bursts of 64, the subscribers drain between them.
            // A nonisolated function, so that it runs on the preferred executor, not the main actor.
            let start = ContinuousClock.now
            await withTaskExecutorPreference(exchange.upbit.executor) { await feed(handler, frame, count: count) }
            var delivered = 0
            for _ in 0..<subscribers { delivered += try await group.next() ?? 0 }
            report(start, "decoded and routed to \(subscribers) subscriber(s) on one loop, \(delivered) delivered")
        } else {
            let start = ContinuousClock.now
            for _ in 0..<count { handler.receive(frame) }
            report(start, "decoded and routed to \(subscribers) subscriber(s)")
        }
        group.cancelAll()
    }
}
