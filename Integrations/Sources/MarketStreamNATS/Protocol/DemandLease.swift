import MarketStreamCore

/// What a remote process wants from the gateway: its whole set, each time (the same overwrite
/// semantics as Upbit's, so resending it is always safe), held for `ttlMilliseconds` unless renewed.
///
/// JSON on `ms.v1.ctl.<venue>.demand`:
/// `{"client":"strategy-1.4c1e","seq":17,"ttl_ms":15000,"topics":["ticker/KRW-BTC","orderbook.15/KRW-ETH"],"snapshots":[]}`.
/// Topics are `<kind>/<market>` in the text form of ``DataKind`` and ``MarketCode``.
public struct DemandLease: Codable, Sendable, Hashable {
    /// The process's id, unique on the bus (a subject token).
    public var client: String
    /// Counts up with each lease the process sends.
    public var sequence: Int
    /// How long the gateway holds the set without a renewal.
    public var ttlMilliseconds: Int
    /// Every topic the process wants live.
    public var topics: [String]
    /// Topics whose current state the process asks for once.
    public var snapshots: [String]
    /// What the process received so far, for the gateway's dashboard (absent from older clients).
    public var report: DeliveryReport?

    /// Creates a lease.
    public init(
        client: String, sequence: Int, ttlMilliseconds: Int, topics: [String], snapshots: [String] = [],
        report: DeliveryReport? = nil
    ) {
        self.client = client
        self.sequence = sequence
        self.ttlMilliseconds = ttlMilliseconds
        self.topics = topics
        self.snapshots = snapshots
        self.report = report
    }

    enum CodingKeys: String, CodingKey {
        case client
        case sequence = "seq"
        case ttlMilliseconds = "ttl_ms"
        case topics, snapshots, report
    }

    /// The text form of `topic` in a lease.
    public static func text(of topic: SubscriptionTopic) -> String { "\(topic.kind)/\(topic.market)" }
}

/// What a remote process's connection received from the bus, sent with each lease: the gateway
/// shows it per process on its dashboard (it cannot see deliveries itself: NATS fans out).
///
/// JSON: `{"delivered":120345,"dropped":0,"gaps":0}`.
public struct DeliveryReport: Codable, Sendable, Hashable {
    /// Frames handed to the process's router.
    public var delivered: Int
    /// Frames nats.c dropped because the process fell behind (slow consumer).
    public var dropped: Int
    /// Gaps in a topic's sequence (frames the bus lost).
    public var gaps: Int

    /// Creates a report.
    public init(delivered: Int, dropped: Int, gaps: Int) {
        self.delivered = delivered
        self.dropped = dropped
        self.gaps = gaps
    }
}

/// The gateway's answer to a lease.
public struct DemandReply: Codable, Sendable, Hashable {
    /// One topic the gateway refused, and why.
    public struct Rejection: Codable, Sendable, Hashable {
        /// The topic as the lease named it.
        public var topic: String
        /// The error code's name (`unknownDataKind`, `invalidMarketCode`, …).
        public var code: String
        /// What is wrong.
        public var message: String

        /// Creates a rejection.
        public init(topic: String, code: String, message: String) {
            self.topic = topic
            self.code = code
            self.message = message
        }
    }

    /// The answering gateway's id.
    public var gateway: String
    /// Its epoch (fencing token).
    public var epoch: UInt32
    /// How many topics of the lease it holds.
    public var accepted: Int
    /// The topics it refused.
    public var rejected: [Rejection]
    /// When the whole lease was refused (malformed, too large, too many clients): why.
    public var error: Rejection?

    /// Creates a reply.
    public init(gateway: String, epoch: UInt32, accepted: Int, rejected: [Rejection], error: Rejection? = nil) {
        self.gateway = gateway
        self.epoch = epoch
        self.accepted = accepted
        self.rejected = rejected
        self.error = error
    }
}
