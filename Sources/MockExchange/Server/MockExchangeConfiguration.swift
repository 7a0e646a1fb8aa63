import MarketStreamCore
import NIOSSL

/// API credentials the mock exchange accepts on its private endpoints.
public struct MockCredentials: Sendable, Hashable, CustomStringConvertible {
    /// The access key.
    public var accessKey: String
    /// The secret key (raw bytes of the string sign the JWT).
    public var secretKey: String

    /// Creates credentials.
    public init(accessKey: String, secretKey: String) {
        self.accessKey = accessKey
        self.secretKey = secretKey
    }

    /// Never prints the secret.
    public var description: String { "MockCredentials(accessKey: \(accessKey.prefix(4))…, secretKey: <redacted>)" }
}

/// How the mock exchange behaves. Every value has a default.
public struct MockExchangeConfiguration: Sendable {
    /// The address to bind (default 127.0.0.1).
    public var host: String
    /// The port; 0 picks a free one (default 0).
    public var port: Int
    /// Serve `wss://` and `https://` with this server configuration (certificate chain and key);
    /// `nil` serves plain `ws://` and `http://` (default).
    public var tls: TLSConfiguration?
    /// Seed of the simulated market.
    public var seed: UInt64
    /// How many markets to simulate.
    public var marketCount: Int
    /// Market updates per second (each update is a trade, a ticker, an orderbook and candles).
    public var updatesPerSecond: Double
    /// Accepted credentials; empty means the private endpoints reject everyone.
    public var credentials: [MockCredentials]
    /// Idle timeout of a WebSocket connection (Upbit documents 120 s).
    public var idleTimeout: Duration
    /// Interval of `{"status":"UP"}` after a text `PING`.
    public var statusInterval: Duration
    /// Inbound message limits per WebSocket connection (Upbit: 5/s and 100/min).
    public var messageLimits: [RateLimit]
    /// Delay between an error frame and the close (Upbit: about 150 ms).
    public var closeDelayAfterError: Duration
    /// REST requests per second per group before 429 (Upbit: 10 for quotation, 30 for exchange).
    public var restQuotationPerSecond: Int
    /// REST exchange-group requests per second.
    public var restExchangePerSecond: Int
    /// Requests refused with 429 within one second of a group after which the group answers
    /// 418 (Upbit blocks clients that keep calling after 429s); `nil` never blocks.
    public var restBlockAfterViolations: Int?
    /// How long a 418 block lasts (sent as `Retry-After`).
    public var restBlockDuration: Duration
    /// Starting balances of the paper-trading account.
    public var startingBalances: [String: ExactDecimal]
    /// Fee rate of paper trades (Upbit KRW: 0.05 %).
    public var feeRate: ExactDecimal
    /// Faults active from the start.
    public var faults: MockFaults
    /// Upbit's rule for requests that carry an `Origin` header (WebSocket upgrades and REST calls
    /// alike): this many per client address, then 429 with `Remaining-Req: group=origin`; `nil`
    /// applies no such rule. Default 1 per 10 s, as Upbit.
    public var originLimit: RateLimit?
    /// Replay mode for benchmarks: pre-generate this many market updates once, then publish them
    /// in a loop with their frames encoded once (timestamps repeat). `nil` simulates live.
    public var replaySteps: Int?
    /// The Binance dialect's limits, pings and connection lifetime.
    public var binance: MockBinanceSettings
    /// When set, the exchange lists exactly these markets and their events come from outside,
    /// through ``MockExchangeServer/publish(_:)`` (a recording played back, say), instead of the
    /// simulation: `updatesPerSecond` and `replaySteps` are ignored, a subscription's snapshot is
    /// the latest published event of its kind, and paper orders fill against the published
    /// prices and books. `nil` (default) simulates.
    public var publishedMarkets: [MarketCode]?

    /// Creates a configuration.
    public init(
        host: String = "127.0.0.1", port: Int = 0, seed: UInt64 = 1, marketCount: Int = 20,
        updatesPerSecond: Double = 50, credentials: [MockCredentials] = [], idleTimeout: Duration = .seconds(120),
        statusInterval: Duration = .seconds(10),
        messageLimits: [RateLimit] = [RateLimit(5, per: .seconds(1)), RateLimit(100, per: .seconds(60))],
        closeDelayAfterError: Duration = .milliseconds(150), restQuotationPerSecond: Int = 10,
        restExchangePerSecond: Int = 30, restBlockAfterViolations: Int? = 10,
        restBlockDuration: Duration = .seconds(10), startingBalances: [String: ExactDecimal] = ["KRW": 10_000_000],
        feeRate: ExactDecimal = ExactDecimal(significand: 5, exponent: -4), faults: MockFaults = MockFaults(),
        replaySteps: Int? = nil, tls: TLSConfiguration? = nil,
        originLimit: RateLimit? = RateLimit(1, per: .seconds(10)), binance: MockBinanceSettings = MockBinanceSettings()
    ) {
        self.binance = binance
        self.tls = tls
        self.originLimit = originLimit
        self.replaySteps = replaySteps
        self.host = host
        self.port = port
        self.seed = seed
        self.marketCount = marketCount
        self.updatesPerSecond = updatesPerSecond
        self.credentials = credentials
        self.idleTimeout = idleTimeout
        self.statusInterval = statusInterval
        self.messageLimits = messageLimits
        self.closeDelayAfterError = closeDelayAfterError
        self.restQuotationPerSecond = restQuotationPerSecond
        self.restExchangePerSecond = restExchangePerSecond
        self.restBlockAfterViolations = restBlockAfterViolations
        self.restBlockDuration = restBlockDuration
        self.startingBalances = startingBalances
        self.feeRate = feeRate
        self.faults = faults
    }
}

/// Faults the mock exchange injects; change them at run time with ``MockExchangeServer/setFaults(_:)``.
public struct MockFaults: Sendable, Hashable {
    /// Drop every WebSocket connection abruptly (no close frame) this often; `nil` for never.
    public var dropEvery: Duration?
    /// Stop sending data (the stream and subscription snapshots) while keeping sockets open and
    /// answering pings.
    public var stalled: Bool
    /// Refuse WebSocket upgrades (HTTP 400).
    public var refuseConnections: Bool
    /// Delay before every outbound data frame.
    public var slowDelay: Duration?
    /// Replace this fraction (0…1) of data frames by malformed JSON.
    public var malformedFraction: Double
    /// Answer every private WebSocket connection with `INVALID_AUTH` (then close) while REST still
    /// accepts the same key: a private stream that keeps failing.
    public var rejectPrivateStream: Bool
    /// Skip one update id of every Binance book this often (each `@depth@100ms` stream then has a
    /// gap, as after a lost message); `nil` for never.
    public var binanceGapEvery: Duration?

    /// Creates a fault set; the default injects nothing.
    public init(
        dropEvery: Duration? = nil, stalled: Bool = false, refuseConnections: Bool = false, slowDelay: Duration? = nil,
        malformedFraction: Double = 0, rejectPrivateStream: Bool = false, binanceGapEvery: Duration? = nil
    ) {
        self.binanceGapEvery = binanceGapEvery
        self.rejectPrivateStream = rejectPrivateStream
        self.dropEvery = dropEvery
        self.stalled = stalled
        self.refuseConnections = refuseConnections
        self.slowDelay = slowDelay
        self.malformedFraction = malformedFraction
    }
}
