/// zstd skippable frames (RFC 8878 §3.1.2), which hold a recording's header and block index:
/// `u32 magic 0x184D2A50 | u32 size | size bytes`, the bytes starting with a four-letter tag.
enum SkippableFrame {
    static let magic: UInt32 = 0x184D_2A50
    /// Magic, size and tag.
    static let overhead = 12
    static let headerTag = Array("MSRH".utf8)
    static let blockTag = Array("MSRB".utf8)

    /// Appends a skippable frame holding `tag` and `payload`.
    static func append(tag: [UInt8], payload: [UInt8], to output: inout [UInt8]) {
        output.appendLittleEndian(magic)
        output.appendLittleEndian(UInt32(tag.count + payload.count))
        output.append(contentsOf: tag)
        output.append(contentsOf: payload)
    }
}

/// What precedes each compressed block: where it lies in time, and how long it is, so a reader
/// seeks by time without decompressing and steps over a block it cannot read.
struct BlockMarker: Hashable {
    /// Bytes of the marker's payload.
    static let size = 28

    var firstNanoseconds: Int64
    var lastNanoseconds: Int64
    var records: UInt32
    var compressedSize: UInt32
    var rawSize: UInt32

    func encoded() -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(Self.size)
        bytes.appendLittleEndian(UInt64(bitPattern: firstNanoseconds))
        bytes.appendLittleEndian(UInt64(bitPattern: lastNanoseconds))
        bytes.appendLittleEndian(records)
        bytes.appendLittleEndian(compressedSize)
        bytes.appendLittleEndian(rawSize)
        return bytes
    }

    init(firstNanoseconds: Int64, lastNanoseconds: Int64, records: UInt32, compressedSize: UInt32, rawSize: UInt32) {
        self.firstNanoseconds = firstNanoseconds
        self.lastNanoseconds = lastNanoseconds
        self.records = records
        self.compressedSize = compressedSize
        self.rawSize = rawSize
    }

    init?(_ bytes: [UInt8]) {
        guard bytes.count == Self.size else { return nil }
        firstNanoseconds = Int64(bitPattern: bytes.readLittleEndian(UInt64.self, at: 0))
        lastNanoseconds = Int64(bitPattern: bytes.readLittleEndian(UInt64.self, at: 8))
        records = bytes.readLittleEndian(UInt32.self, at: 16)
        compressedSize = bytes.readLittleEndian(UInt32.self, at: 20)
        rawSize = bytes.readLittleEndian(UInt32.self, at: 24)
    }
}
