import Logging
import MarketStreamCore

/// Steps through recordings record by record, a block in memory at a time: what a replay reads.
struct RecordCursor: Sendable {
    /// The blocks still to read, the next last.
    private var pending: [PreparedBlock] = []
    private var records: [Record] = []
    private var index = 0
    /// Blocks that could not be read (skipped), with their offsets.
    private(set) var issues: [RecordingError] = []
    /// The first file's header.
    let header: RecordingHeader?

    /// Opens `paths` (in time order), keeping the records received in `range`.
    init(paths: [String], range: ClosedRange<Int64>) throws(RecordingError) {
        var header: RecordingHeader?
        for path in paths {
            let reader = try RecordingReader(path: path)
            if header == nil { header = reader.header }
            for block in reader.blocks()
            where range.overlaps(block.receivedTimes) {
                pending.append(PreparedBlock(reader: reader, block: block, range: range))
            }
        }
        pending.reverse()
        self.header = header
    }

    /// The next record, without moving past it.
    mutating func peek() -> Record? {
        while index >= records.count {
            guard let block = pending.popLast() else { return nil }
            switch block.take() {
            case .success(let blockRecords): records = blockRecords
            case .failure(let error):
                issues.append(error)
                records = []
            }
            index = 0
        }
        return records[index]
    }

    /// Moves past the record `peek()` returned.
    mutating func advance() { index += 1 }

    /// The block read after the current one, which a task may decompress ahead of time
    /// (``PreparedBlock/prepare()``) without holding up the cursor.
    var upcoming: PreparedBlock? { pending.last }
}
