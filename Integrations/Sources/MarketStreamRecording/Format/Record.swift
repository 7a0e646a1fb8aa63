import MarketStreamCore
import NIOCore

/// One entry of a recording: a frame as received, a message sent, or a connection event, with
/// its receive time in nanoseconds and its connection generation.
///
/// On disk: `u32 length | u8 kind | u8 channel | u8 flags | u8 shard | u64 receivedAt_ns |
/// u32 generation | u32 sequence | bytes`, little-endian (``headerSize`` bytes, then `length`
/// bytes). The shard byte was the high byte of a 16-bit flags field, always 0, before shards were
/// recorded: files from then read as shard 0.
public struct Record: Sendable, Hashable {
    /// Bytes before a record's own bytes.
    public static let headerSize = 24

    public var kind: RecordKind
    /// The channel's index in the file header's ``RecordingHeader/channels``.
    public var channel: UInt8
    public var flags: RecordFlags
    /// Which of the channel's connections (shards) it belongs to (``DecodeContext/shard``).
    public var shard: UInt8
    /// When it was received (or sent), wall-clock nanoseconds since 1970.
    public var receivedAt: UnixTime
    /// The connection generation it belongs to.
    public var generation: UInt32
    /// Its number in its file: counts up by one per record, so a gap shows what was lost.
    public var sequence: UInt32
    /// The frame or message exactly, or why a connection ended.
    public var bytes: ArraySlice<UInt8>

    /// Creates a record.
    public init(
        kind: RecordKind, channel: UInt8 = 0, flags: RecordFlags = [], shard: UInt8 = 0, receivedAt: UnixTime,
        generation: UInt32, sequence: UInt32 = 0, bytes: ArraySlice<UInt8>
    ) {
        self.kind = kind
        self.channel = channel
        self.flags = flags
        self.shard = shard
        self.receivedAt = receivedAt
        self.generation = generation
        self.sequence = sequence
        self.bytes = bytes
    }

    /// The frame as the decoder takes it (a text or binary frame, as it arrived).
    public var message: WebSocketMessage { WebSocketMessage(opcode: opcode, bytes: ByteBuffer(bytes: bytes)) }

    /// Whether the frame arrived as text or binary.
    var opcode: WebSocketMessage.Opcode { flags.contains(.text) ? .text : .binary }

    /// Reads the records of a decompressed block.
    /// - Throws: ``RecordingError/corruptBlock(offset:reason:)`` (at `offset`, the block's) when a
    ///   record runs past the block or has an unknown kind.
    static func records(in block: [UInt8], blockOffset offset: Int) throws(RecordingError) -> [Record] {
        var records: [Record] = []
        var index = 0
        while index < block.count {
            guard block.count - index >= headerSize else {
                throw .corruptBlock(offset: offset, reason: "a record header is cut short at byte \(index)")
            }
            let length = Int(block.readLittleEndian(UInt32.self, at: index))
            guard let kind = RecordKind(rawValue: block[index + 4]) else {
                throw .corruptBlock(offset: offset, reason: "unknown record kind \(block[index + 4]) at byte \(index)")
            }
            let start = index + headerSize
            guard length <= block.count - start else {
                throw .corruptBlock(offset: offset, reason: "a record of \(length) bytes runs past the block")
            }
            records.append(
                Record(
                    kind: kind, channel: block[index + 5],
                    flags: RecordFlags(rawValue: block[index + 6]), shard: block[index + 7],
                    receivedAt: UnixTime(
                        nanoseconds: Int64(bitPattern: block.readLittleEndian(UInt64.self, at: index + 8))),
                    generation: block.readLittleEndian(UInt32.self, at: index + 16),
                    sequence: block.readLittleEndian(UInt32.self, at: index + 20),
                    bytes: block[start..<(start + length)]))
            index = start + length
        }
        return records
    }
}

extension [UInt8] {
    mutating func appendLittleEndian<T: FixedWidthInteger>(_ value: T) {
        Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) }
    }

    func readLittleEndian<T: FixedWidthInteger>(_: T.Type, at index: Int) -> T {
        withUnsafeBytes { T(littleEndian: $0.loadUnaligned(fromByteOffset: index, as: T.self)) }
    }
}

extension Record {
    /// What a venue's decoder needs to decode this frame record: the channel its index names in
    /// `channels` (the header's), its generation, its receive time and its shard.
    func decodeContext(exchange: ExchangeID, channels: [ChannelID]) -> DecodeContext {
        DecodeContext(
            exchange: exchange, channel: Int(channel) < channels.count ? channels[Int(channel)] : .public,
            generation: ConnectionGeneration(UInt64(generation)), receivedAt: receivedAt, shard: Int(shard))
    }
}
