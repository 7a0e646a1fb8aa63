// Measures how many frames per second the mock exchange delivers to one WebSocket client.
//
//   swift run -c release MockThroughput [seconds] [markets]   (after a 3-second warm-up)
//   swift run -c release MockThroughput [seconds] [markets] ws://127.0.0.1:PORT
//   swift run -c release MockThroughput serve PORT [markets]     (the server alone)
//
// With an endpoint it measures a separately started `marketstream mock-server --replay N --rate HZ`
// (its markets must be at least as many as given here); otherwise it embeds the server.
//
// The server runs in replay mode (pre-generated updates, each frame encoded once) as fast as it
// can; the client is a bare WSClient that subscribes to ticker, trade and orderbook of every
// market and counts frames, so the figure is the server's (plus loopback), not a decoder's.
import Foundation
import Logging
import MockExchange
import WSClient

// `MockThroughput serve PORT [markets]`: only the server (replay mode), for a client in another process.
if CommandLine.arguments.count > 2, CommandLine.arguments[1] == "serve", let port = Int(CommandLine.arguments[2]) {
    var logger = Logger(label: "mock-throughput")
    logger.logLevel = .critical
    let markets = CommandLine.arguments.count > 3 ? Int(CommandLine.arguments[3]) ?? 20 : 20
    try await MockExchangeServer(
        configuration: MockExchangeConfiguration(
            port: port, marketCount: markets, updatesPerSecond: 10_000_000, replaySteps: 20_000),
        logger: logger
    ).run()
    exit(0)
}

let seconds = CommandLine.arguments.count > 1 ? Double(CommandLine.arguments[1]) ?? 5 : 5
let marketCount = CommandLine.arguments.count > 2 ? Int(CommandLine.arguments[2]) ?? 20 : 20
var logger = Logger(label: "mock-throughput")
logger.logLevel = .critical

let externalEndpoint = CommandLine.arguments.count > 3 ? CommandLine.arguments[3] : nil
let server = MockExchangeServer(
    configuration: MockExchangeConfiguration(
        marketCount: marketCount, updatesPerSecond: 10_000_000, replaySteps: 20_000),
    logger: logger)

try await withThrowingTaskGroup(of: Void.self) { group in
    let base: String
    if let externalEndpoint {
        base = externalEndpoint
    } else {
        group.addTask { try await server.run() }
        base = await server.endpoint().webSocketBase
    }
    let codes = server.markets.map { "\"\($0.rawValue)\"" }.joined(separator: ",")
    let request =
        #"[{"ticket":"throughput"},{"type":"ticker","codes":[\#(codes)]},{"type":"trade","codes":[\#(codes)]},{"type":"orderbook","codes":[\#(codes)]},{"format":"DEFAULT"}]"#
    try await WebSocketClient.connect(
        url: base + "/websocket/v1", configuration: .init(maxFrameSize: 1 << 22), logger: logger
    ) { inbound, outbound, _ in
        try await outbound.write(.text(request))
        let clock = ContinuousClock()
        // Warm up (the server encodes its replay ring at start) before measuring.
        var start = clock.now + .seconds(3)
        var deadline = start + .milliseconds(Int64(seconds * 1_000))
        var warming = true
        var frames = 0
        var bytes = 0
        for try await frame in inbound {
            if warming {
                frames += 1
                if frames % 4_096 == 0, clock.now >= start {
                    warming = false
                    frames = 0
                    start = clock.now
                    deadline = start + .milliseconds(Int64(seconds * 1_000))
                }
                continue
            }
            frames += 1
            bytes += frame.data.readableBytes
            if frames % 4_096 == 0, clock.now >= deadline { break }
        }
        let elapsed = start.duration(to: clock.now)
        let elapsedSeconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        print(
            "mock exchange → 1 client: \(frames) frames in \(String(format: "%.2f", elapsedSeconds)) s = "
                + "\(Int(Double(frames) / elapsedSeconds)) frames/s, "
                + "\(String(format: "%.1f", Double(bytes) / elapsedSeconds / 1e6)) MB/s (\(marketCount) markets)")
        try await outbound.close(.normalClosure, reason: nil)
    }
    group.cancelAll()
}
