import Foundation
import MarketStreamCore
import Testing

@testable import MarketStreamRecording

/// A cursor whose upcoming blocks are decompressed ahead (what a replay's reading tasks do,
/// outside the records' lock) reads exactly what one left to decompress each block itself reads.
@Suite(.timeLimit(.minutes(1))) struct RecordCursorTests {
    /// Every record and the issues, stepping through `path`; with `prepareAhead`, each upcoming
    /// block is prepared from another task before the cursor reaches it.
    func readAll(_ path: String, prepareAhead: Bool) async throws -> (sequences: [UInt32], issues: [RecordingError]) {
        var cursor = try RecordCursor(paths: [path], range: Int64.min...Int64.max)
        var sequences: [UInt32] = []
        var prepared: PreparedBlock?
        while true {
            if prepareAhead, let upcoming = cursor.upcoming, upcoming !== prepared {
                await Task.detached { upcoming.prepare() }.value
                prepared = upcoming
            }
            guard let record = cursor.peek() else { break }
            sequences.append(record.sequence)
            cursor.advance()
        }
        return (sequences, cursor.issues)
    }

    @Test func blocksPreparedAheadReadAsTheCursorWouldReadThem() async throws {
        try await withTemporaryDirectory { directory in
            let path = try await recordTickers(300, into: directory)
            let blocks = try RecordingReader(path: path).blocks()
            #expect(blocks.count >= 3)
            // A corrupt second block: its error must come in its place, whoever decompressed it.
            try corruptBlock(1, of: blocks, in: path)

            let itself = try await readAll(path, prepareAhead: false)
            let ahead = try await readAll(path, prepareAhead: true)
            #expect(ahead.sequences == itself.sequences)
            #expect(ahead.issues == itself.issues)
            #expect(ahead.issues.count == 1)
            #expect(itself.sequences.count == 300 - blocks[1].records)
        }
    }
}
