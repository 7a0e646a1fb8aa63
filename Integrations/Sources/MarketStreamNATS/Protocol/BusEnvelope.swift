import MarketStreamCore

/// The 24 bytes a gateway puts before each frame it publishes: when it received the frame, which
/// gateway and connection it came from, and its place in its topic's sequence.
///
/// Little-endian: `u8 version | u8 flags | u8 reserved | u8 reserved | u32 gateway epoch |
/// u64 received at (ns since 1970) | u32 upstream connection generation | u32 topic sequence`.
/// The frame's bytes follow, exactly as the exchange sent them.
public struct BusEnvelope: Sendable, Hashable {
    /// The envelope's size in bytes.
    public static let size = 24
    /// The format version this code writes and reads.
    public static let version: UInt8 = 1

    /// Flag bits.
    public struct Flags: OptionSet, Sendable, Hashable {
        public let rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }
        /// The exchange sent the frame as a binary message (Upbit does), not text.
        public static let binary = Flags(rawValue: 1)
        /// A replay of the gateway's last frame of the topic, for a subscriber that just joined.
        public static let snapshotReplay = Flags(rawValue: 2)
    }

    /// Flag bits.
    public var flags: Flags
    /// The publishing gateway's epoch (its fencing token): a gateway that starts, or takes over
    /// from another, publishes with a higher one, and frames of a lower one are ignored.
    public var epoch: UInt32
    /// When the gateway received the frame.
    public var receivedAt: UnixTime
    /// The gateway's connection generation when it received the frame.
    public var generation: UInt32
    /// The frame's number in its topic, from 1, per epoch: a gap means frames were lost.
    public var sequence: UInt32

    /// Creates an envelope.
    public init(flags: Flags, epoch: UInt32, receivedAt: UnixTime, generation: UInt32, sequence: UInt32) {
        self.flags = flags
        self.epoch = epoch
        self.receivedAt = receivedAt
        self.generation = generation
        self.sequence = sequence
    }

    /// Writes the envelope into the first 24 bytes of `buffer`.
    public func write(to buffer: UnsafeMutableRawBufferPointer) {
        precondition(buffer.count >= Self.size, "an envelope needs 24 bytes")
        buffer[0] = Self.version
        buffer[1] = flags.rawValue
        buffer[2] = 0
        buffer[3] = 0
        buffer.storeBytes(of: epoch.littleEndian, toByteOffset: 4, as: UInt32.self)
        buffer.storeBytes(of: UInt64(bitPattern: receivedAt.nanoseconds).littleEndian, toByteOffset: 8, as: UInt64.self)
        buffer.storeBytes(of: generation.littleEndian, toByteOffset: 16, as: UInt32.self)
        buffer.storeBytes(of: sequence.littleEndian, toByteOffset: 20, as: UInt32.self)
    }

    /// Reads the envelope at the start of `bytes`.
    /// - Throws: ``BusProtocolError`` when `bytes` is too short or of another version.
    public init(reading bytes: UnsafeRawBufferPointer) throws(BusProtocolError) {
        guard bytes.count >= Self.size else {
            throw BusProtocolError.malformedEnvelope("\(bytes.count) bytes, an envelope needs \(Self.size)")
        }
        guard bytes[0] == Self.version else {
            throw BusProtocolError.malformedEnvelope("version \(bytes[0]), this client reads version \(Self.version)")
        }
        flags = Flags(rawValue: bytes[1])
        epoch = UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 4, as: UInt32.self))
        receivedAt = UnixTime(
            nanoseconds: Int64(
                bitPattern: UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: 8, as: UInt64.self))))
        generation = UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 16, as: UInt32.self))
        sequence = UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 20, as: UInt32.self))
    }
}

/// Bytes on the bus that do not follow the protocol.
public enum BusProtocolError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A data message whose envelope cannot be read.
    case malformedEnvelope(String)
    /// A subject that is not a MarketStream data subject.
    case malformedSubject(String)

    public var description: String {
        switch self {
        case .malformedEnvelope(let why): "malformed bus envelope: \(why)"
        case .malformedSubject(let subject): "not a MarketStream data subject: '\(subject)'"
        }
    }
}
