import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Writes one recording file: the header, then each block (its marker and its zstd frame).
///
/// The file is written as `<path>.partial` and renamed to `path`, after an fsync, when closed, so
/// a finished file is never half written; a `.partial` left by a crash is readable up to its last
/// whole block. Blocking I/O: call it from a thread that may block.
final class RecordingFileWriter: Sendable {
    private struct IO {
        let compressor: ZstdCompressor
        var bytesWritten = 0
    }

    /// The finished file's path.
    let path: String
    private let descriptor: Int32
    private let io: Mutex<IO>
    /// The receive time of the file's first record (its hour is the file's).
    let firstNanoseconds: Int64
    /// Bytes written so far.
    var bytesWritten: Int { io.withLock { $0.bytesWritten } }

    /// Creates the directory if needed and opens `<path>.partial` with `header`.
    init(path: String, header: RecordingHeader, level: Int32 = 3, firstNanoseconds: Int64) throws(RecordingError) {
        self.path = path
        self.firstNanoseconds = firstNanoseconds
        let directory = (path as NSString).deletingLastPathComponent
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw .cannotOpen(path: directory, reason: Self.reason(error))
        }
        let descriptor = open(path + ".partial", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw .cannotOpen(path: path + ".partial", reason: String(cString: strerror(errno)))
        }
        self.descriptor = descriptor
        io = Mutex(IO(compressor: ZstdCompressor(level: level)))
        var bytes: [UInt8] = []
        let json = (try? JSONEncoder().encode(header)).map(Array.init) ?? []
        SkippableFrame.append(tag: SkippableFrame.headerTag, payload: json, to: &bytes)
        do throws(RecordingError) {
            try io.withLock { io throws(RecordingError) in try write(bytes, &io) }
        } catch {
            Glibc.close(descriptor)
            unlink(path + ".partial")
            throw error
        }
    }

    /// Compresses and appends one block of encoded records.
    func append(_ block: RecordBlock) throws(RecordingError) {
        try io.withLock { io throws(RecordingError) in try append(block, &io) }
    }

    private func append(_ block: RecordBlock, _ io: inout IO) throws(RecordingError) {
        let frame = try io.compressor.frame(of: block.bytes)
        let marker = BlockMarker(
            firstNanoseconds: block.first, lastNanoseconds: block.last, records: UInt32(block.count),
            compressedSize: UInt32(frame.count), rawSize: UInt32(block.bytes.count))
        var bytes: [UInt8] = []
        bytes.reserveCapacity(SkippableFrame.overhead + BlockMarker.size + frame.count)
        SkippableFrame.append(tag: SkippableFrame.blockTag, payload: marker.encoded(), to: &bytes)
        bytes.append(contentsOf: frame)
        try write(bytes, &io)
    }

    /// Syncs, closes and renames the file to its final name.
    func close() throws(RecordingError) {
        defer { Glibc.close(descriptor) }
        guard fsync(descriptor) == 0 else { throw .writeFailed(path: path, reason: String(cString: strerror(errno))) }
        guard rename(path + ".partial", path) == 0 else {
            throw .writeFailed(path: path, reason: String(cString: strerror(errno)))
        }
    }

    private func write(_ bytes: [UInt8], _ io: inout IO) throws(RecordingError) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { raw in
                Glibc.write(descriptor, raw.baseAddress! + offset, raw.count - offset)
            }
            if written < 0 {
                if errno == EINTR { continue }
                throw .writeFailed(path: path + ".partial", reason: String(cString: strerror(errno)))
            }
            offset += written
        }
        io.bytesWritten += bytes.count
    }

    private static func reason(_ error: any Error) -> String {
        (error as NSError).localizedDescription
    }
}
