import Logging
import MarketStreamCore

/// Steps through recordings record by record, a block in memory at a time: what a replay reads.
struct RecordCursor: Sendable {
    private var pending: [(reader: RecordingReader, block: RecordingReader.Block)] = []
    private var records: [Record] = []
    private var index = 0
    private let range: ClosedRange<Int64>
    /// Blocks that could not be read (skipped), with their offsets.
    private(set) var issues: [RecordingError] = []
    /// The first file's header.
    let header: RecordingHeader?

    /// Opens `paths` (in time order), keeping the records received in `range`.
    init(paths: [String], range: ClosedRange<Int64>) throws(RecordingError) {
        self.range = range
        var header: RecordingHeader?
        for path in paths {
            let reader = try RecordingReader(path: path)
            if header == nil { header = reader.header }
            for block in reader.blocks()
            where range.overlaps(block.receivedTimes) {
                pending.append((reader, block))
            }
        }
        pending.reverse()
        self.header = header
    }

    /// The next record, without moving past it.
    mutating func peek() -> Record? {
        while index >= records.count {
            guard let (reader, block) = pending.popLast() else { return nil }
            do {
                records = try reader.records(of: block).filter { range.contains($0.receivedAt.nanoseconds) }
            } catch {
                issues.append(error)
                records = []
            }
            index = 0
        }
        return records[index]
    }

    /// Moves past the record `peek()` returned.
    mutating func advance() { index += 1 }
}
