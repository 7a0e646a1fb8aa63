import Foundation
import Logging
import MarketStreamCore
import MarketStreamRecording
import MarketStreamRouting
import MockExchange
import Testing
import UpbitExchange

let quietLogger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

/// A fresh directory for one test, removed afterwards.
func withTemporaryDirectory<Value>(_ body: (String) async throws -> Value) async throws -> Value {
    let path = NSTemporaryDirectory() + "msr-\(UInt64.random(in: 0 ... .max))"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: path) }
    return try await body(path)
}

/// 2026-12-03 13:59:58 UTC, in nanoseconds: two seconds before an hour ends.
let nearTheHour: Int64 = 1_796_306_398_000_000_000

func context(at nanoseconds: Int64, generation: UInt64 = 1) -> DecodeContext {
    DecodeContext(
        exchange: "mock", channel: .public, generation: ConnectionGeneration(generation),
        receivedAt: UnixTime(nanoseconds: nanoseconds))
}

func tickerJSON(_ index: Int) -> String {
    #"{"type":"ticker","code":"KRW-BTC","trade_price":\#(100_000 + index).0,"timestamp":\#(1_796_306_398_000 + index),"stream_type":"REALTIME"}"#
}

/// Records `body`'s frames with a recorder running beside it, then stops it (finishing its files).
func record(
    into directory: String, _ body: (FrameRecorder) async throws -> Void
) async throws -> FrameRecorder {
    let recorder = FrameRecorder(
        // Blocks by size (4 KiB) and at the end, never by the clock: the same blocks on every run.
        configuration: .init(directory: directory, venue: "mock", blockInterval: .seconds(3_600), blockBytes: 4_096),
        logger: quietLogger)
    let running = Task { try await recorder.run() }
    try await body(recorder)
    running.cancel()
    try await running.value
    return recorder
}

/// A finished recording of `count` ticker frames, 1 ns apart from just before the hour, in
/// 4 KiB blocks (300 frames make several): its path.
func recordTickers(_ count: Int, into directory: String) async throws -> String {
    _ = try await record(into: directory) { recorder in
        for index in 0..<count {
            recorder.frameReceived(
                .text(tickerJSON(index)), events: [], context: context(at: nearTheHour + Int64(index)))
        }
    }
    return try #require(recordings(under: directory).first)
}

/// Garbles 16 bytes in the middle of the compressed bytes of `blocks[index]` (not the last) of the
/// file at `path`.
func corruptBlock(_ index: Int, of blocks: [RecordingReader.Block], in path: String) throws {
    var data = try Data(contentsOf: URL(fileURLWithPath: path))
    let block = blocks[index]
    let middle = block.offset + 40 + (blocks[index + 1].offset - block.offset - 40) / 2
    for byte in middle..<(middle + 16) { data[byte] ^= 0xA5 }
    try data.write(to: URL(fileURLWithPath: path))
}

/// Every finished (or partial) recording under `directory`, sorted.
func recordings(under directory: String) -> [String] {
    let files = FileManager.default.enumerator(atPath: directory)?.compactMap { $0 as? String } ?? []
    return files.filter { $0.hasSuffix(".msr.zst") || $0.hasSuffix(".partial") }.sorted().map { "\(directory)/\($0)" }
}

/// The router settings a recording is made with and replayed with (no reconnect jitter).
let replayConfiguration = RouterConfiguration(
    debounce: .milliseconds(20), gracePeriod: .zero, bufferCapacity: 100_000,
    reconnect: ReconnectPolicy(initialDelay: .milliseconds(100), maximumDelay: .seconds(1), jitter: 0))

/// Runs a router on `replay`'s clocks (with ``replayConfiguration``) and the replay beside it while
/// `body` subscribes through the router, then stops both.
func withReplayRouter<Result>(
    _ replay: ReplayExchange, _ body: (MarketDataRouter) async throws -> Result
) async throws -> Result {
    try await withReplayRouter(replay, subscribing: { _ in () }) { router, _ in try await body(router) }
}

/// Runs a router on `replay`'s clocks (with ``replayConfiguration``) and the replay beside it,
/// with the subscriptions `subscribe` makes before either starts, then `body`; then stops both.
///
/// Subscribing first is what makes a replay of several subscriptions certain to plan them
/// together: the replay's 50 ms start (``ReplayExchange``) covers calls made one after another
/// only while the calling thread is not held up longer than that.
func withReplayRouter<Subscriptions, Result>(
    _ replay: ReplayExchange, subscribing subscribe: (MarketDataRouter) throws -> Subscriptions,
    _ body: (MarketDataRouter, Subscriptions) async throws -> Result
) async throws -> Result {
    let router = MarketDataRouter(
        managers: [replay], configuration: replayConfiguration, clock: replay.routerClock,
        wallClock: replay.wallClock, logger: quietLogger)
    let subscriptions = try subscribe(router)
    let driving = Task { try await replay.run() }
    let routing = Task { try await router.run() }
    defer {
        routing.cancel()
        driving.cancel()
    }
    let result = try await body(router, subscriptions)
    routing.cancel()
    driving.cancel()
    _ = await routing.result
    _ = await driving.result
    return result
}

/// The market events `subscription` delivers until the replay's end (which arrives in band, after
/// the last of them), in order; `onEach` runs as each arrives.
func eventsUntilTheEnd(
    of subscription: Subscription, onEach: () -> Void = {}
) async throws -> [ReplayTests.Seen] {
    var seen: [ReplayTests.Seen] = []
    for try await event in subscription {
        if ReplayExchange.isEnd(event) { break }
        guard case .market(let market) = event else { continue }
        onEach()
        seen.append(
            ReplayTests.Seen(
                kind: market.kind, market: market.market, timestamp: market.timestamp,
                receivedAt: market.receivedAt, generation: market.generation))
    }
    return seen
}

/// Returns once `subscription` has delivered `count` market events.
func awaitMarketEvents(_ count: Int, on subscription: Subscription) async throws {
    var seen = 0
    for try await event in subscription {
        if case .market = event { seen += 1 }
        if seen == count { return }
    }
}

/// How many subscription messages and how many frames `file` recorded.
func sentAndFrames(in file: String) throws -> (sent: Int, frames: Int) {
    var counts = (sent: 0, frames: 0)
    try RecordingReader(path: file).read { record in
        if record.kind == .sent { counts.sent += 1 }
        if record.kind == .frame { counts.frames += 1 }
    }
    return counts
}

/// Records a session against a simulating mock exchange over loopback, with Upbit's module: `body`
/// subscribes through the router (and may inject faults into the mock) while a recorder taps its
/// connections.
/// - Returns: The venue module (the recording's decoder) and the recording's path.
func recordMockSession(
    into directory: String, mock configuration: MockExchangeConfiguration,
    _ body: (MockExchangeServer, MarketDataRouter) async throws -> Void
) async throws -> (UpbitExchange, String) {
    let upbit = { (base: String) in
        try UpbitExchange(exchange: "mock", configuration: .init(baseURL: base), logger: quietLogger)
    }
    return try await recordMockSession(into: directory, mock: configuration, venue: upbit, body)
}

/// Records a session against a simulating mock exchange over loopback with the module `venue`
/// makes for the mock's WebSocket base address: `body` subscribes through the router (and may
/// inject faults into the mock) while a recorder taps its connections.
/// - Returns: The venue module (the recording's decoder) and the recording's path.
/// - Parameter namesStreamLimits: Whether the files' headers name the module's streams per
///   connection (as every recorder configured from its module does).
func recordMockSession<Venue: AbstractWebSocketManager>(
    into directory: String, mock configuration: MockExchangeConfiguration, venue: (String) throws -> Venue,
    namesStreamLimits: Bool = true, _ body: (MockExchangeServer, MarketDataRouter) async throws -> Void
) async throws -> (Venue, String) {
    let mock = MockExchangeServer(configuration: configuration, logger: quietLogger)
    let mockTask = Task { try await mock.run() }
    defer { mockTask.cancel() }
    let module = try venue(try await mock.endpoint().webSocketBase)
    let recorder = FrameRecorder(
        configuration: namesStreamLimits
            ? .init(directory: directory, recording: module, blockInterval: .milliseconds(100))
            : .init(directory: directory, venue: module.exchange, blockInterval: .milliseconds(100)),
        logger: quietLogger)
    let router = MarketDataRouter(
        managers: [module], configuration: replayConfiguration, frameTap: recorder, logger: quietLogger)
    let recording = Task { try await recorder.run() }
    let routing = Task { try await router.run() }
    try await body(mock, router)
    routing.cancel()
    _ = await routing.result
    recording.cancel()
    try await recording.value
    return (module, try #require(recordings(under: directory).first))
}
