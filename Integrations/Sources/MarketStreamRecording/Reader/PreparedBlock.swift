import MarketStreamCore
import Synchronization

/// One block of a recording whose records a cursor will read, decompressed by whoever gets to it
/// first: the cursor when it reaches the block, or a replay's reading task beforehand
/// (``prepare()``), outside the lock the cursor is read under, so that another task reading
/// records is not held up while a block is decompressed.
final class PreparedBlock: Sendable {
    private enum Stage {
        case waiting
        case ready(Result<[Record], RecordingError>)
        case taken
    }

    private let reader: RecordingReader
    private let block: RecordingReader.Block
    /// Records received outside it are left out.
    private let range: ClosedRange<Int64>
    private let stage = Mutex(Stage.waiting)

    init(reader: RecordingReader, block: RecordingReader.Block, range: ClosedRange<Int64>) {
        self.reader = reader
        self.block = block
        self.range = range
    }

    /// Decompresses the block now, unless that is done, being done or no longer needed.
    func prepare() {
        stage.withLockIfAvailable { stage in
            guard case .waiting = stage else { return }
            stage = .ready(records())
        }
    }

    /// The block's records, decompressed now if nobody did it before (waiting for a task that is
    /// doing it), once: the block is then let go.
    func take() -> Result<[Record], RecordingError> {
        stage.withLock { stage in
            defer { stage = .taken }
            switch stage {
            case .ready(let records): return records
            case .waiting, .taken: return records()
            }
        }
    }

    private func records() -> Result<[Record], RecordingError> {
        do throws(RecordingError) {
            return .success(try reader.records(of: block).filter { range.contains($0.receivedAt.nanoseconds) })
        } catch {
            return .failure(error)
        }
    }
}
