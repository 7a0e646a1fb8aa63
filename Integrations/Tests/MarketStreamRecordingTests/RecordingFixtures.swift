import Foundation
import Logging
import MarketStreamCore
import MarketStreamRecording
import MarketStreamRouting

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

/// Every finished (or partial) recording under `directory`, sorted.
func recordings(under directory: String) -> [String] {
    let files = FileManager.default.enumerator(atPath: directory)?.compactMap { $0 as? String } ?? []
    return files.filter { $0.hasSuffix(".msr.zst") || $0.hasSuffix(".partial") }.sorted().map { "\(directory)/\($0)" }
}

/// The router settings a recording is made with and replayed with (no reconnect jitter).
let replayConfiguration = RouterConfiguration(
    debounce: .milliseconds(20), gracePeriod: .zero, bufferCapacity: 100_000,
    reconnect: ReconnectPolicy(initialDelay: .milliseconds(100), maximumDelay: .seconds(1), jitter: 0))
