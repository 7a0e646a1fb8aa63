import Foundation
import MarketStreamCore
import MarketStreamRecording
import Testing

/// What a recorder writes is what a reader reads: every frame, exactly, with its time and generation.
@Suite(.timeLimit(.minutes(1))) struct RecordingRoundTripTests {
    @Test func everyFrameIsReadBackExactlyWithItsTimeAndGeneration() async throws {
        try await withTemporaryDirectory { directory in
            let recorder = try await record(into: directory) { recorder in
                for index in 0..<500 {
                    let frame: WebSocketMessage =
                        index.isMultiple(of: 2) ? .text(tickerJSON(index)) : .binary(Array(tickerJSON(index).utf8))
                    recorder.frameReceived(
                        frame, events: [],
                        context: context(
                            at: 1_796_300_000_000_000_000 + Int64(index) * 1_000,
                            generation: index < 250 ? 1 : 2))
                }
            }
            let files = recordings(under: directory)
            #expect(files == ["\(directory)/mock/2026-12-03/12.msr.zst"], "one finished file, no .partial")
            #expect(recorder.health.recordsWritten == 500)
            #expect(recorder.health.filesFinished == 1)

            let reader = try RecordingReader(path: files[0])
            #expect(reader.header.format == "MSR1")
            #expect(reader.header.venue == "mock")
            #expect(reader.header.channels == ["public"])
            var index = 0
            let summary = try reader.read { record in
                #expect(record.kind == .frame)
                #expect(String(decoding: record.bytes, as: UTF8.self) == tickerJSON(index))
                #expect(record.flags.contains(.text) == index.isMultiple(of: 2))
                #expect(record.receivedAt.nanoseconds == 1_796_300_000_000_000_000 + Int64(index) * 1_000)
                #expect(record.generation == (index < 250 ? 1 : 2))
                #expect(record.sequence == UInt32(index + 1))
                index += 1
            }
            #expect(index == 500)
            #expect(summary.records == 500 && summary.issues.isEmpty && !summary.truncated)
            #expect(summary.blocks > 1, "4 KiB blocks: several")
        }
    }

    @Test func filesRotateOnTheHourAndATimeRangeIsFoundThroughTheIndex() async throws {
        try await withTemporaryDirectory { directory in
            // Four seconds across 14:00 UTC, a frame every 10 ms.
            _ = try await record(into: directory) { recorder in
                for index in 0..<400 {
                    recorder.frameReceived(
                        .text(tickerJSON(index)), events: [],
                        context: context(at: nearTheHour + Int64(index) * 10_000_000))
                }
            }
            let files = recordings(under: directory)
            #expect(files == ["\(directory)/mock/2026-12-03/13.msr.zst", "\(directory)/mock/2026-12-03/14.msr.zst"])
            let before = try RecordingReader(path: files[0])
            let after = try RecordingReader(path: files[1])
            var counts = (0, 0)
            try before.read { _ in counts.0 += 1 }
            try after.read { _ in counts.1 += 1 }
            #expect(counts == (200, 200), "every record in the file of its hour")

            // From 14:00:01.000 to 14:00:01.095: ten records, and blocks outside are not decompressed.
            let start = UnixTime(nanoseconds: nearTheHour + 3_000_000_000)
            let end = UnixTime(nanoseconds: nearTheHour + 3_095_000_000)
            var seen: [Int64] = []
            let summary = try after.read(from: start, to: end) { seen.append($0.receivedAt.nanoseconds) }
            #expect(seen.count == 10)
            #expect(seen.first == start.nanoseconds)
            let blocks = after.blocks()
            #expect(summary.blocks < blocks.count, "only the blocks that overlap the range")
        }
    }

    @Test func zstdReadsARecordingAsItsRecords() async throws {
        try await withTemporaryDirectory { directory in
            let file = try await recordTickers(100, into: directory)
            let zstd = Process()
            zstd.executableURL = URL(fileURLWithPath: "/usr/bin/zstd")
            zstd.arguments = ["-dc", file]
            let output = Pipe()
            zstd.standardOutput = output
            zstd.standardError = FileHandle.nullDevice
            try zstd.run()
            let bytes = output.fileHandleForReading.readDataToEndOfFile()
            zstd.waitUntilExit()
            #expect(zstd.terminationStatus == 0)
            let frames = (0..<100).map { tickerJSON($0) }
            #expect(bytes.count == frames.reduce(0) { $0 + 24 + $1.utf8.count }, "the records, headers skipped")
            let text = String(decoding: bytes, as: UTF8.self)
            #expect(frames.allSatisfy { text.contains($0) })
        }
    }
}
