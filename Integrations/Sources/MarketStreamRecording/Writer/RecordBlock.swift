import MarketStreamCore

/// Records gathered for one block (about a second, at most about a MiB), not yet compressed.
struct RecordBlock: Sendable {
    var bytes: [UInt8] = []
    var count = 0
    var first: Int64 = 0
    var last: Int64 = 0

    var isEmpty: Bool { count == 0 }

    /// Appends one record, encoded as ``Record`` describes.
    mutating func append(
        kind: RecordKind, channel: UInt8, flags: RecordFlags, shard: UInt8, receivedAt: Int64, generation: UInt32,
        sequence: UInt32, bytes raw: UnsafeRawBufferPointer
    ) {
        if count == 0 {
            first = receivedAt
            bytes.reserveCapacity(64 * 1024)
        }
        last = receivedAt
        count += 1
        bytes.appendLittleEndian(UInt32(raw.count))
        bytes.append(kind.rawValue)
        bytes.append(channel)
        bytes.append(flags.rawValue)
        bytes.append(shard)
        bytes.appendLittleEndian(UInt64(bitPattern: receivedAt))
        bytes.appendLittleEndian(generation)
        bytes.appendLittleEndian(sequence)
        bytes.append(contentsOf: raw)
    }
}
