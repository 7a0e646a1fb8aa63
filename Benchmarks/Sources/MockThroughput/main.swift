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
// can; the client is MarketStream's transport with a handler that decodes nothing: it subscribes to ticker, trade and orderbook of every
// market and counts frames, so the figure is the server's (plus loopback), not a decoder's.
import Foundation
import Logging
import MarketStreamCore
import MarketStreamTransport
import MockExchange
import NIOPosix
import Synchronization

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
        base = try await server.endpoint().webSocketBase
    }
    let codes = server.markets.map { "\"\($0.rawValue)\"" }.joined(separator: ",")
    let request =
        #"[{"ticket":"throughput"},{"type":"ticker","codes":[\#(codes)]},{"type":"trade","codes":[\#(codes)]},{"type":"orderbook","codes":[\#(codes)]},{"format":"DEFAULT"}]"#
    let counter = RawCounter(seconds: seconds)
    let reader = RawReader(request: request, counter: counter)
    do {
        try await WebSocketTransport.run(
            url: try WebSocketURL(base + "/websocket/v1"), configuration: WebSocketTransportConfiguration(),
            eventLoop: MultiThreadedEventLoopGroup.singleton.next(), handler: reader, logger: logger)
    } catch is CancellationError {}
    let (frames, bytes, elapsedSeconds) = counter.result
    print(
        "mock exchange → 1 raw client: \(frames) frames in \(String(format: "%.2f", elapsedSeconds)) s = "
            + "\(Int(Double(frames) / elapsedSeconds)) frames/s, "
            + "\(String(format: "%.1f", Double(bytes) / elapsedSeconds / 1e6)) MB/s (\(marketCount) markets)")
    group.cancelAll()
}

/// Counts messages on the event loop; a warm-up of 3 s, then `seconds` measured.
final class RawCounter: Sendable {
    private struct State {
        var start: ContinuousClock.Instant
        var deadline: ContinuousClock.Instant
        var warming = true
        var frames = 0
        var bytes = 0
        var end: ContinuousClock.Instant?
    }

    private let seconds: Double
    private let state: Mutex<State>
    private let finished = AsyncStream.makeStream(of: Void.self)

    init(seconds: Double) {
        self.seconds = seconds
        let start = ContinuousClock.now + .seconds(3)
        state = Mutex(State(start: start, deadline: start + .milliseconds(Int64(seconds * 1_000))))
    }

    func count(bytes count: Int) {
        let done = state.withLock { state -> Bool in
            guard state.end == nil else { return false }
            state.frames += 1
            if state.warming {
                if state.frames % 4_096 == 0, ContinuousClock.now >= state.start {
                    state.warming = false
                    state.frames = 0
                    state.start = .now
                    state.deadline = state.start + .milliseconds(Int64(seconds * 1_000))
                }
                return false
            }
            state.bytes += count
            guard state.frames % 4_096 == 0, ContinuousClock.now >= state.deadline else { return false }
            state.end = .now
            return true
        }
        if done { finished.continuation.finish() }
    }

    func waitUntilDone() async { for await _ in finished.stream {} }

    var result: (frames: Int, bytes: Int, seconds: Double) {
        state.withLock { state in
            let elapsed = state.start.duration(to: state.end ?? .now)
            return (
                state.frames, state.bytes,
                Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            )
        }
    }
}

/// Subscribes, then counts what arrives without decoding it; ends the connection when done.
struct RawReader: ConnectionHandler {
    let request: String
    let counter: RawCounter

    func run(outbound: any WebSocketOutbound) async throws {
        try await outbound.send(.text(request))
        await counter.waitUntilDone()
    }

    func receive(_ message: WebSocketMessage) { counter.count(bytes: message.bytes.readableBytes) }
    func receivedPong() {}
}
