import Foundation

/// What a recording file says about itself: the first frame of every file, a zstd skippable frame
/// holding this as JSON (so `zstd -dc` skips it and prints only the records).
public struct RecordingHeader: Codable, Sendable, Hashable {
    /// `MSR1`.
    public var format: String
    /// The venue's id (`upbit`, `mock`, …).
    public var venue: String
    /// The wire dialect the frames are in (the venue's decoder reads them).
    public var dialect: String
    /// The channels, in the order records number them.
    public var channels: [String]
    /// The subscription set when the file was opened, as `<kind>/<market>`.
    public var subscriptions: [String]
    /// The streams one connection of a channel could carry, by channel, for the channels whose
    /// venue limits that (``ExchangeChannel/streamsPerConnection``): a replay's router spreads the
    /// set over connections (shards) as the recording's did. `nil` in files from before it was
    /// recorded.
    public var streamsPerConnection: [String: Int]?
    /// What wrote the file (`marketstream-gateway record`, …).
    public var recorder: String
    /// The recording format's version (this one reads 1).
    public var version: Int
    /// When the file was opened, nanoseconds since 1970.
    public var createdAtNanoseconds: Int64

    /// Creates a header.
    public init(
        venue: String, dialect: String, channels: [String], subscriptions: [String],
        streamsPerConnection: [String: Int]? = nil, recorder: String, createdAtNanoseconds: Int64
    ) {
        self.format = "MSR1"
        self.version = 1
        self.venue = venue
        self.dialect = dialect
        self.channels = channels
        self.subscriptions = subscriptions
        self.streamsPerConnection = streamsPerConnection
        self.recorder = recorder
        self.createdAtNanoseconds = createdAtNanoseconds
    }

    enum CodingKeys: String, CodingKey {
        case format, version, venue, dialect, channels, subscriptions, recorder
        case createdAtNanoseconds = "created_ns"
        case streamsPerConnection = "streams_per_connection"
    }
}
