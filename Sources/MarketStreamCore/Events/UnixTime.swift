/// A wall-clock instant as nanoseconds since 1970-01-01T00:00:00Z.
public struct UnixTime: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// Nanoseconds since the Unix epoch.
    public var nanoseconds: Int64

    /// Creates an instant from nanoseconds since the epoch.
    public init(nanoseconds: Int64) { self.nanoseconds = nanoseconds }

    /// Creates an instant from milliseconds since the epoch (exchange timestamps).
    public init(milliseconds: Int64) { self.nanoseconds = milliseconds &* 1_000_000 }

    /// Milliseconds since the epoch.
    public var milliseconds: Int64 { nanoseconds / 1_000_000 }

    /// Microseconds since the epoch.
    public var microseconds: Int64 { nanoseconds / 1_000 }

    public static func < (lhs: UnixTime, rhs: UnixTime) -> Bool { lhs.nanoseconds < rhs.nanoseconds }

    public var description: String { "\(milliseconds)ms" }
}

/// Whether an event is the state at subscription time or a live update.
public enum StreamKind: String, Sendable, Hashable {
    /// The state when the subscription (or snapshot request) was made.
    case snapshot
    /// A live update.
    case realtime
    /// A change found by polling REST while the stream was unavailable (see
    /// ``RESTFallbackProvider``).
    case polled
}

/// Numbers a connection: each new connection of a channel gets a higher generation.
///
/// Events carry the generation of the connection that received them; the router never delivers
/// an event whose generation is older than its channel's current one.
public struct ConnectionGeneration: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The generation number, starting at 1 for a channel's first connection.
    public var rawValue: UInt64

    /// Creates a generation.
    public init(_ rawValue: UInt64) { self.rawValue = rawValue }

    /// The generation before any connection.
    public static let none = ConnectionGeneration(0)

    /// The next generation.
    public var next: ConnectionGeneration { ConnectionGeneration(rawValue + 1) }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }

    public var description: String { String(rawValue) }
}
