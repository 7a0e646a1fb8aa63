// What recording costs and what it reads back at (issue numbers): the CPU of recording the whole
// Upbit market's rate (about 800 frames/s), the file size per million ticker frames against the
// raw bytes, reading a file back (decompressed and decoded) against decoding the same frames
// from memory, and a replay through `ReplayExchange` and a router to one subscriber, measured in
// the same run. Run in release:
//   swift run -c release --package-path Integrations RecordingBenchmark
import Foundation
import Logging
import MarketStreamCore
import MarketStreamRecording
import MarketStreamRouting
import UpbitExchange

#if canImport(Glibc)
    import Glibc
#endif

let logger = Logger(label: "bench", factory: { _ in SwiftLogNoOpLogHandler() })

func cpuSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
        + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1_000_000
}

func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}

/// Upbit's DEFAULT ticker frame for market `index`, its price moving a little each time.
func defaultTicker(market index: Int, step: Int) -> String {
    let price = 116_000_000 + (step % 997) * 1_000
    return
        #"{"type":"ticker","code":"KRW-C\#(index)","opening_price":116012000.0,"high_price":116890000.0,"low_price":115720000.0,"trade_price":\#(price).0,"prev_closing_price":116012000.0,"change":"RISE","change_price":527000.0,"signed_change_price":527000.0,"change_rate":0.0045426335,"signed_change_rate":0.0045426335,"trade_volume":0.00\#(214535 + step % 9973),"acc_trade_volume":812.43190275,"acc_trade_volume_24h":2291.60215533,"acc_trade_price":94512348712.18833,"acc_trade_price_24h":266503719023.55716,"trade_date":"20260923","trade_time":"033902","trade_timestamp":\#(1_790_134_742_051 + step),"ask_bid":"BID","acc_ask_volume":401.10324871,"acc_bid_volume":411.32865404,"highest_52_week_price":179750000.0,"highest_52_week_date":"2025-10-06","lowest_52_week_price":104200000.0,"lowest_52_week_date":"2026-06-02","market_state":"ACTIVE","is_trading_suspended":false,"delisting_date":null,"market_warning":"NONE","timestamp":\#(1_790_134_742_106 + step),"stream_type":"REALTIME"}"#
}

/// Upbit's SIMPLE ticker frame (short keys) for the same values.
func simpleTicker(market index: Int, step: Int) -> String {
    let price = 116_000_000 + (step % 997) * 1_000
    return
        #"{"ty":"ticker","cd":"KRW-C\#(index)","op":116012000.0,"hp":116890000.0,"lp":115720000.0,"tp":\#(price).0,"pcp":116012000.0,"c":"RISE","cp":527000.0,"scp":527000.0,"cr":0.0045426335,"scr":0.0045426335,"tv":0.00\#(214535 + step % 9973),"atv":812.43190275,"atv24h":2291.60215533,"atp":94512348712.18833,"atp24h":266503719023.55716,"tdt":"20260923","ttm":"033902","ttms":\#(1_790_134_742_051 + step),"ab":"BID","aav":401.10324871,"abv":411.32865404,"h52wp":179750000.0,"h52wdt":"2025-10-06","l52wp":104200000.0,"l52wdt":"2026-06-02","ms":"ACTIVE","its":false,"dd":null,"mw":"NONE","tms":\#(1_790_134_742_106 + step),"st":"REALTIME"}"#
}

let start: Int64 = 1_796_306_400_000_000_000  // 14:00 UTC: every file of one hour

/// Records `frames` through a recorder, handing them over at `rate` frames/s (0: at once);
/// without a recorder, only the handing over (the baseline).
func record(
    _ frames: [String], into directory: String, rate: Int, recording: Bool = true
) async throws -> (recorder: FrameRecorder, cpu: Double, wall: Double) {
    // Room for every frame of a burst to wait for the disk: past its pending bytes (64 MB by
    // default) a recorder drops, as it should live, and the replay below would replay fewer frames.
    let recorder = FrameRecorder(
        configuration: .init(directory: directory, venue: "upbit", maxPendingBytes: 4 << 30), logger: logger)
    let running = Task { try await recorder.run() }
    let cpuBefore = cpuSeconds()
    let began = ContinuousClock.now
    // A connection opens first, so a replay hands the frames to one connection.
    recorder.connectionOpened(
        context: DecodeContext(
            exchange: "upbit", channel: .public, generation: ConnectionGeneration(1),
            receivedAt: UnixTime(nanoseconds: start - 1_000_000)))
    for (index, frame) in frames.enumerated() {
        let context = DecodeContext(
            exchange: "upbit", channel: .public, generation: ConnectionGeneration(1),
            receivedAt: UnixTime(nanoseconds: start + Int64(index) * 1_000_000))
        let message = WebSocketMessage.text(frame)
        if recording { recorder.frameReceived(message, events: [], context: context) }
        if rate > 0 {
            let due = began + .nanoseconds(Int64(index + 1) * 1_000_000_000 / Int64(rate))
            if due > ContinuousClock.now { try await Task.sleep(until: due) }
        }
    }
    running.cancel()
    try await running.value
    return (recorder, cpuSeconds() - cpuBefore, seconds(ContinuousClock.now - began))
}

func temporaryDirectory() -> String { NSTemporaryDirectory() + "msr-bench-\(UInt64.random(in: 0 ... .max))" }

let arguments = CommandLine.arguments.dropFirst()
let count = arguments.first.flatMap(Int.init) ?? 1_000_000
/// `replay` as the second argument runs the replay alone (for profiling it).
let replayOnly = arguments.dropFirst().first == "replay"
let upbit = try UpbitExchange(logger: logger)

// 1. The whole market's rate: 800 frames/s for 10 s.
if !replayOnly {
    let directory = temporaryDirectory()
    defer {
        for suffix in ["", "-none", "-burst", "-burst-none"] {
            try? FileManager.default.removeItem(atPath: directory + suffix)
        }
    }
    let frames = (0..<8_000).map { defaultTicker(market: $0 % 200, step: $0) }
    // The same pacing and frames without a recorder, in the same run: what the benchmark itself costs.
    let (_, baseline, baselineWall) = try await record(frames, into: directory + "-none", rate: 800, recording: false)
    let (recorder, cpu, wall) = try await record(frames, into: directory, rate: 800)
    let added = cpu / wall - baseline / baselineWall
    // Ten times the frames recorded at once: the CPU per frame, free of the pacing's noise.
    let many = Array(repeating: frames, count: 10).flatMap { $0 }
    let (burstRecorder, burst, _) = try await record(many, into: directory + "-burst", rate: 0)
    let (_, handing, _) = try await record(many, into: directory + "-burst-none", rate: 0, recording: false)
    let perFrame = max(0, burst - handing) / Double(many.count)
    print(
        "recording 800 DEFAULT ticker frames/s: \(String(format: "%.2f", perFrame * 800 * 100)) % of a core "
            + "(\(String(format: "%.2f", perFrame * 1e6)) µs of CPU per frame, recorded in a burst, × 800); paced for "
            + "\(String(format: "%.1f", wall)) s, \(String(format: "%.2f", added * 100)) % added over the same pacing "
            + "without a recorder (\(String(format: "%.2f", baseline / baselineWall * 100)) %: a difference of two "
            + "noisy figures, which can come out below zero); paced: \(recorder.health); in a burst: "
            + "\(burstRecorder.health)")
}

// 2. File size per million frames, DEFAULT and SIMPLE, against the raw bytes.
for (name, make) in [("DEFAULT", defaultTicker), ("SIMPLE", simpleTicker)] where !replayOnly || name == "DEFAULT" {
    let directory = temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let frames = (0..<count).map { make($0 % 200, $0) }
    let raw = frames.reduce(0) { $0 + $1.utf8.count }
    let (recorder, cpu, _) = try await record(frames, into: directory, rate: 0)
    let size = recorder.health.bytesWritten
    print(
        "\(count) \(name) ticker frames: raw \(raw / 1_000_000) MB, recorded \(size / 1_000_000) MB "
            + "(\(String(format: "%.1f", Double(raw) / Double(size)))×), recorded in \(String(format: "%.2f", cpu)) s of CPU"
            + "; \(recorder.health.droppedRecords) dropped (the recorder drops what its writer cannot keep up with)"
    )

    // 3. Reading back: decompress and decode, against decoding the same frames from memory.
    guard name == "DEFAULT" else { continue }
    let files = (FileManager.default.enumerator(atPath: directory)?.compactMap { $0 as? String } ?? [])
        .filter { $0.hasSuffix(".msr.zst") }.map { "\(directory)/\($0)" }
    if !replayOnly {
        var output = DecodedFrame()
        let context = DecodeContext(
            exchange: "upbit", channel: .public, generation: ConnectionGeneration(1),
            receivedAt: UnixTime(nanoseconds: 1))
        let memoryStart = ContinuousClock.now
        for frame in frames {
            output.removeAll()
            try upbit.decode(.text(frame), context: context, into: &output)
        }
        let memory = Double(count) / seconds(ContinuousClock.now - memoryStart)
        let fileStart = ContinuousClock.now
        var decoded = 0
        for file in files {
            try RecordingReader(path: file).read { record in
                guard record.kind == .frame else { return }
                output.removeAll()
                try upbit.decode(record.message, context: context, into: &output)
                decoded += output.events.count
            }
        }
        let fromFile = Double(decoded) / seconds(ContinuousClock.now - fileStart)
        print(
            "reading back \(decoded) frames (decompressed and decoded, one thread): \(Int(fromFile)) frames/s; "
                + "decoding the same frames from memory: \(Int(memory)) frames/s (ratio \(String(format: "%.2f", fromFile / memory)))"
        )
    }

    // 4. Replayed through ReplayExchange and a router to one subscriber, as fast as possible.
    let (routed, replaySeconds) = try await replayThroughRouter(files, markets: 200)
    print(
        "replaying \(routed) frames through ReplayExchange and a router to one subscriber: "
            + "\(Int(Double(routed) / replaySeconds)) frames/s (\(String(format: "%.2f", replaySeconds)) s)")
}

/// Replays `files` as fast as possible through a router subscribed to the tickers of `markets`
/// markets; returns the events the subscriber got and the seconds it took.
func replayThroughRouter(_ files: [String], markets: Int) async throws -> (events: Int, seconds: Double) {
    let replay = try ReplayExchange(venue: upbit, files: files, speed: .asFastAsPossible, logger: logger)
    let router = MarketDataRouter(
        managers: [replay],
        configuration: RouterConfiguration(bufferCapacity: 1 << 21, reconnect: ReconnectPolicy(jitter: 0)),
        clock: replay.routerClock, wallClock: replay.wallClock, logger: logger)
    let driving = Task { try await replay.run() }
    let routing = Task { try await router.run() }
    defer {
        driving.cancel()
        routing.cancel()
    }
    let codes = try (0..<markets).map { try MarketCode("KRW-C\($0)") }
    let began = ContinuousClock.now
    var received = 0
    for try await event in try router.subscribe(to: .ticker, markets: codes) {
        if ReplayExchange.isEnd(event) { break }
        if case .market = event { received += 1 }
    }
    return (received, seconds(ContinuousClock.now - began))
}
