import Foundation
import MarketStreamCore
import MarketStreamRecording
import Testing

/// Files cut short, corrupt blocks, and disks that refuse writes.
@Suite(.timeLimit(.minutes(1))) struct RecordingDamageTests {
    @Test func aFileCutShortIsReadUpToItsLastWholeBlock() async throws {
        try await withTemporaryDirectory { directory in
            let path = try await recordTickers(300, into: directory)
            let reader = try RecordingReader(path: path)
            let blocks = reader.blocks()
            #expect(blocks.count >= 3)
            let whole = blocks.dropLast().reduce(0) { $0 + $1.records }
            // Cut the file in the middle of its last block, as a crash would.
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            let cut = path + ".cut.partial"
            try data.prefix(blocks.last!.offset + 40).write(to: URL(fileURLWithPath: cut))
            var count = 0
            let summary = try RecordingReader(path: cut).read { _ in count += 1 }
            #expect(summary.truncated)
            #expect(summary.issues.isEmpty)
            #expect(count == whole)
        }
    }

    @Test func aCorruptBlockIsATypedErrorNamingItsOffsetAndTheRestIsStillRead() async throws {
        try await withTemporaryDirectory { directory in
            let path = try await recordTickers(300, into: directory)
            let blocks = try RecordingReader(path: path).blocks()
            let damaged = blocks[1]
            try corruptBlock(1, of: blocks, in: path)

            var count = 0
            let summary = try RecordingReader(path: path).read { _ in count += 1 }
            #expect(summary.issues.count == 1)
            guard case .corruptBlock(let offset, _) = summary.issues.first else {
                Issue.record("expected a corrupt block, got \(summary.issues)")
                return
            }
            #expect(offset == damaged.offset)
            #expect(count == 300 - damaged.records, "every other block still read")
            #expect("\(summary.issues[0])".contains("byte \(damaged.offset)"))
        }
    }

    @Test func aDamagedMarkerIsSteppedOverToTheNextBlock() async throws {
        try await withTemporaryDirectory { directory in
            let path = try await recordTickers(300, into: directory)
            let blocks = try RecordingReader(path: path).blocks()
            var data = try Data(contentsOf: URL(fileURLWithPath: path))
            data[blocks[1].offset] ^= 0xFF  // the marker's magic
            try data.write(to: URL(fileURLWithPath: path))
            var count = 0
            let summary = try RecordingReader(path: path).read { _ in count += 1 }
            #expect(summary.issues == [.corruptBlock(offset: blocks[1].offset, reason: "no block marker here")])
            #expect(count == 300 - blocks[1].records)
        }
    }

    @Test func aMarkerThatMisstatesItsBlocksSizeIsRefusedBeforeDecompressing() async throws {
        try await withTemporaryDirectory { directory in
            let path = try await recordTickers(300, into: directory)
            let blocks = try RecordingReader(path: path).blocks()
            let damaged = blocks[1]
            var data = try Data(contentsOf: URL(fileURLWithPath: path))
            // The marker's decompressed size (after the skippable frame's magic, size and tag, and
            // 24 bytes of the marker's own): almost 4 GiB, which the reader must not allocate.
            let field = damaged.offset + 12 + 24
            for (index, byte) in [0xF0, 0xFF, 0xFF, 0xFF].enumerated() { data[field + index] = UInt8(byte) }
            try data.write(to: URL(fileURLWithPath: path))

            var count = 0
            let summary = try RecordingReader(path: path).read { _ in count += 1 }
            #expect(summary.issues.count == 1)
            guard case .corruptBlock(let offset, let reason) = summary.issues.first else {
                Issue.record("expected a corrupt block, got \(summary.issues)")
                return
            }
            #expect(offset == damaged.offset)
            #expect(reason.hasPrefix("a zstd frame of "), "refused by the frame's own size: \(reason)")
            #expect(reason.hasSuffix(" bytes where the marker says 4294967280"), "\(reason)")
            #expect(count == 300 - damaged.records, "every other block still read")
        }
    }

    @Test func notARecordingIsATypedError() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory + "/plain.txt"
            try Data("hello".utf8).write(to: URL(fileURLWithPath: path))
            #expect(throws: RecordingError.notARecording(path: path)) { try RecordingReader(path: path) }
            #expect(throws: RecordingError.self) { try RecordingReader(path: directory + "/missing") }
        }
    }

    @Test func anUnwritableDirectoryIsAHealthStateNotACrash() async throws {
        try await withTemporaryDirectory { directory in
            // A file where the recorder's directory should be.
            let blocked = directory + "/file"
            try Data().write(to: URL(fileURLWithPath: blocked))
            let recorder = try await record(into: blocked) { recorder in
                for index in 0..<50 {
                    recorder.frameReceived(.text(tickerJSON(index)), events: [], context: context(at: nearTheHour))
                }
            }
            guard case .failing(.cannotOpen) = recorder.health.state else {
                Issue.record("expected a failing state, got \(recorder.health)")
                return
            }
            #expect(recorder.health.droppedRecords == 50)
            #expect(recorder.health.recordsWritten == 0)
        }
    }

    @Test(.enabled(if: getuid() == 0, "mounting a small tmpfs needs root"))
    func aFullDiskIsAHealthStateAndTheReadPathGoesOn() async throws {
        try await withTemporaryDirectory { directory in
            let mount = Process()
            mount.executableURL = URL(fileURLWithPath: "/bin/mount")
            mount.arguments = ["-t", "tmpfs", "-o", "size=64k", "tmpfs", directory]
            try mount.run()
            mount.waitUntilExit()
            try #require(mount.terminationStatus == 0, "tmpfs mounted")
            defer {
                let unmount = Process()
                unmount.executableURL = URL(fileURLWithPath: "/bin/umount")
                unmount.arguments = [directory]
                try? unmount.run()
                unmount.waitUntilExit()
            }
            // Random bytes do not compress: 64 KiB fills after a few of the 4 KiB blocks.
            let recorder = try await record(into: directory) { recorder in
                for index in 0..<400 {
                    let noise = (0..<1_000).map { _ in UInt8.random(in: 0...255) }
                    recorder.frameReceived(.binary(noise), events: [], context: context(at: nearTheHour + Int64(index)))
                }
            }
            let health = recorder.health
            guard case .failing(.writeFailed(_, let reason)) = health.state else {
                Issue.record("expected a failing write, got \(health)")
                return
            }
            #expect(reason.contains("space"), "\(reason)")
            #expect(health.droppedRecords > 0)
            #expect(health.recordsWritten > 0)
            #expect(health.recordsWritten + health.droppedRecords == 400)
            // What was written before the disk filled is readable.
            let file = "\(directory)/mock/2026-12-03/13.msr.zst"
            var count = 0
            _ = try RecordingReader(path: file).read { _ in count += 1 }
            #expect(count > 0)
            #expect(recordings(under: directory) == [file], "no empty files left by the failed attempts")
        }
    }
}
