import Foundation
import MarketStreamCore

#if canImport(Glibc)
    import Glibc
#endif

/// Reads a recording file (finished, or a `.partial` cut short by a crash).
///
/// ```swift
/// let reader = try RecordingReader(path: "recordings/upbit/2026-12-03/14.msr.zst")
/// let summary = try reader.read(from: start, to: end) { record in … }
/// ```
///
/// Each block says where it lies in time before its compressed bytes, so a time range skips the
/// blocks outside it without decompressing them. A block that cannot be read is reported (its
/// byte offset in ``ReadSummary/issues``) and the reader goes on with the next; a file cut short
/// ends at its last whole block (``ReadSummary/truncated``).
public struct RecordingReader: Sendable {
    /// One block, as its marker describes it.
    public struct Block: Sendable, Hashable {
        /// Where the block's marker starts in the file.
        public var offset: Int
        /// Its first and last record's receive time.
        public var first: UnixTime
        public var last: UnixTime
        /// Records it holds.
        public var records: Int
        /// Its compressed and decompressed sizes, from the marker.
        var compressedSize: Int
        var rawSize: Int

        /// Where its zstd frame starts.
        var frameOffset: Int { offset + SkippableFrame.overhead + BlockMarker.size }

        /// The receive times (nanoseconds) it spans; a marker whose last time is before its first
        /// spans its first alone, rather than trapping.
        var receivedTimes: ClosedRange<Int64> { first.nanoseconds...max(first.nanoseconds, last.nanoseconds) }
    }

    /// What a read went through.
    public struct ReadSummary: Sendable, Hashable {
        /// Blocks read (decompressed).
        public var blocks = 0
        /// Records handed to the caller.
        public var records = 0
        /// Blocks that could not be read, each with its byte offset.
        public var issues: [RecordingError] = []
        /// Whether the file ended inside a block (a crash while writing).
        public var truncated = false
    }

    /// The file's path.
    public let path: String
    /// What the file says about itself.
    public let header: RecordingHeader
    /// The file, open for the reader's lifetime.
    private let file: FileBytes
    private let bodyOffset: Int

    /// Opens a recording and reads its header.
    /// - Throws: ``RecordingError/cannotOpen(path:reason:)``, or ``RecordingError/notARecording(path:)``.
    public init(path: String) throws(RecordingError) {
        self.path = path
        let file = try FileBytes(path: path)
        self.file = file
        let prefix = file.read(at: 0, count: SkippableFrame.overhead)
        guard prefix.count == SkippableFrame.overhead,
            prefix.readLittleEndian(UInt32.self, at: 0) == SkippableFrame.magic,
            Array(prefix[8..<12]) == SkippableFrame.headerTag
        else { throw .notARecording(path: path) }
        let length = Int(prefix.readLittleEndian(UInt32.self, at: 4)) - 4
        let json = file.read(at: SkippableFrame.overhead, count: length)
        guard json.count == length, let header = try? JSONDecoder().decode(RecordingHeader.self, from: Data(json)),
            header.format == "MSR1"
        else { throw .notARecording(path: path) }
        self.header = header
        bodyOffset = SkippableFrame.overhead + length
    }

    /// Every block's place in the file and in time: the file's index, read from the markers alone.
    public func blocks() -> [Block] {
        var blocks: [Block] = []
        _ = walk { block in
            blocks.append(block)
            return false
        }
        return blocks
    }

    /// The records of one block (decompressed).
    /// - Throws: ``RecordingError/corruptBlock(offset:reason:)`` when the block cannot be read.
    public func records(of block: Block) throws(RecordingError) -> [Record] {
        let compressed = file.read(at: block.frameOffset, count: block.compressedSize)
        let raw = try ZstdDecompressor.decompress(compressed, rawSize: block.rawSize, offset: block.offset)
        return try Record.records(in: raw, blockOffset: block.offset)
    }

    /// Hands each record received in `from...to` (all when `nil`) to `body`, in file order.
    /// - Throws: What `body` throws (reading stops), or ``RecordingError/cannotOpen(path:reason:)``.
    @discardableResult
    public func read(
        from start: UnixTime? = nil, to end: UnixTime? = nil, _ body: (Record) throws -> Void
    ) throws -> ReadSummary {
        let range = try RecordingTime.window(from: start, to: end)
        var summary = ReadSummary()
        var failure: (any Error)?
        let (issues, truncated) = walk { block in
            guard range.overlaps(block.receivedTimes) else { return false }
            do {
                for record in try records(of: block)
                where range.contains(record.receivedAt.nanoseconds) {
                    try body(record)
                    summary.records += 1
                }
                summary.blocks += 1
            } catch let error as RecordingError {
                summary.issues.append(error)
            } catch {
                failure = error
                return true
            }
            return false
        }
        if let failure { throw failure }
        summary.issues = (issues + summary.issues).sorted { $0.offset < $1.offset }
        summary.truncated = truncated
        return summary
    }

    /// Visits each block's marker, in file order, until `visit` returns `true`; steps over a
    /// damaged stretch to the next marker.
    /// - Returns: The damaged stretches, and whether the file ends inside a block.
    private func walk(_ visit: (Block) -> Bool) -> (issues: [RecordingError], truncated: Bool) {
        var offset = bodyOffset
        var issues: [RecordingError] = []
        while offset < file.size {
            let head = file.read(at: offset, count: SkippableFrame.overhead + BlockMarker.size)
            guard head.count == SkippableFrame.overhead + BlockMarker.size else { return (issues, true) }
            guard head.readLittleEndian(UInt32.self, at: 0) == SkippableFrame.magic,
                Array(head[8..<12]) == SkippableFrame.blockTag,
                let marker = BlockMarker(Array(head[SkippableFrame.overhead...]))
            else {
                issues.append(.corruptBlock(offset: offset, reason: "no block marker here"))
                guard let next = file.nextMarker(after: offset + 1) else { return (issues, false) }
                offset = next
                continue
            }
            let end = offset + head.count + Int(marker.compressedSize)
            guard end <= file.size else { return (issues, true) }
            let block = Block(
                offset: offset, first: UnixTime(nanoseconds: marker.firstNanoseconds),
                last: UnixTime(nanoseconds: marker.lastNanoseconds), records: Int(marker.records),
                compressedSize: Int(marker.compressedSize), rawSize: Int(marker.rawSize))
            if visit(block) { break }
            offset = end
        }
        return (issues, false)
    }
}

/// A file read at offsets (`pread`, safe from any thread), without loading it whole.
private final class FileBytes: Sendable {
    let descriptor: Int32
    let size: Int

    init(path: String) throws(RecordingError) {
        descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw .cannotOpen(path: path, reason: String(cString: strerror(errno))) }
        var status = stat()
        fstat(descriptor, &status)
        size = Int(status.st_size)
    }

    /// Up to `count` bytes at `offset` (fewer at the end of the file).
    func read(at offset: Int, count: Int) -> [UInt8] {
        guard count > 0, offset < size else { return [] }
        // Not zeroed first: only the bytes read count.
        return [UInt8](unsafeUninitializedCapacity: min(count, size - offset)) { buffer, filled in
            filled = 0
            while filled < buffer.count {
                let got = pread(descriptor, buffer.baseAddress! + filled, buffer.count - filled, off_t(offset + filled))
                if got < 0, errno == EINTR { continue }
                if got <= 0 { break }
                filled += got
            }
        }
    }

    /// The next block marker at or after `offset` (after damage), scanning a MiB at a time.
    func nextMarker(after offset: Int) -> Int? {
        var position = offset
        let window = 1 << 20
        while position < size {
            let chunk = read(at: position, count: window + 11)
            guard chunk.count >= 12 else { return nil }
            for index in 0...(chunk.count - 12)
            where chunk[index] == 0x50 && chunk.readLittleEndian(UInt32.self, at: index) == SkippableFrame.magic
                && Array(chunk[(index + 8)..<(index + 12)]) == SkippableFrame.blockTag
            {
                return position + index
            }
            position += window
        }
        return nil
    }

    deinit { close(descriptor) }
}
