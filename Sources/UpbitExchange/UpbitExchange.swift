import AsyncHTTPClient
import Foundation
import Logging
import MarketStreamCore
import MarketStreamTransport
import NIOCore
import NIOHTTP1

/// MarketStream's Upbit module: public and private WebSocket channels with overwrite-aware
/// requests, a fast exact decoder, JWT authentication, REST snapshots and a REST fallback that
/// keeps `myOrder` and `myAsset` flowing while the private stream is unavailable.
///
/// The same module serves every venue that speaks Upbit's protocol — Upbit's regional sites and
/// Bithumb — through its ``UpbitDialect``:
///
/// ```swift
/// let upbit = try UpbitExchange(configuration: .init(credentials: .fromEnvironment(environment)), logger: logger)
/// let bithumb = try UpbitExchange(dialect: .bithumb, logger: logger)
/// let router = MarketDataRouter(managers: [upbit, bithumb], logger: logger)
/// ```
public struct UpbitExchange: OverwriteSubscriptionManager, AuthenticatedWebSocketManager, RESTSnapshotProvider,
    RESTFallbackProvider
{
    /// How to reach Upbit (or an Upbit-compatible endpoint such as the mock exchange).
    public struct Configuration: Sendable {
        /// The WebSocket base; the dialect's paths (`/websocket/v1`, `/websocket/v1/private`) are
        /// appended. `nil`: the dialect's venue (`wss://api.upbit.com` for Upbit).
        public var baseURL: String?
        /// The REST base (`https://api.upbit.com`); `nil` derives it from ``baseURL``
        /// (`wss://` → `https://`, `ws://` → `http://`), or takes the dialect's when ``baseURL`` is
        /// `nil` too.
        public var restBaseURL: String?
        /// How often `myOrder`/`myAsset` are polled over REST while the private stream is
        /// unavailable (two or more calls of the 30/s `default` group per poll).
        public var fallbackPollInterval: Duration
        /// API keys; without them public data works and private kinds report unavailable.
        public var credentials: UpbitCredentials?
        /// JWT algorithm (HS512 recommended).
        public var tokenAlgorithm: UpbitTokenSigner.Algorithm
        /// `DEFAULT` or `SIMPLE`.
        public var format: String
        /// A PEM file with an extra CA to trust (certificate verification stays on).
        public var extraCAFile: String?
        /// The largest message accepted after joining fragments; a larger one closes the connection
        /// with 1009 and reconnects.
        public var maxFrameSize: Int
        /// How long connecting, the TLS handshake and the upgrade may take.
        public var connectTimeout: Duration
        /// Protocol ping interval.
        public var keepaliveInterval: Duration
        /// Silence after which a connection is replaced.
        public var silenceTolerance: Duration

        /// Creates a configuration.
        public init(
            baseURL: String? = nil, restBaseURL: String? = nil, credentials: UpbitCredentials? = nil,
            tokenAlgorithm: UpbitTokenSigner.Algorithm = .hs512, format: String = "DEFAULT", extraCAFile: String? = nil,
            maxFrameSize: Int = 4 << 20, keepaliveInterval: Duration = .seconds(25),
            silenceTolerance: Duration = .seconds(60), fallbackPollInterval: Duration = .seconds(1),
            connectTimeout: Duration = .seconds(10)
        ) {
            self.connectTimeout = connectTimeout
            self.baseURL = baseURL
            self.restBaseURL = restBaseURL
            self.fallbackPollInterval = fallbackPollInterval
            self.credentials = credentials
            self.tokenAlgorithm = tokenAlgorithm
            self.format = format
            self.extraCAFile = extraCAFile
            self.maxFrameSize = maxFrameSize
            self.keepaliveInterval = keepaliveInterval
            self.silenceTolerance = silenceTolerance
        }
    }

    public let exchange: ExchangeID
    /// The venue's protocol details: hosts, paths, flag spelling, limits.
    public let dialect: UpbitDialect
    public let channels: [ExchangeChannel]
    public let configuration: Configuration
    /// The REST client (orders, balances, snapshots), sharing one rate budget with the fallback poller.
    public let rest: UpbitRESTClient
    /// The event loop the module's sockets are read, decoded and routed on; consumers that prefer
    /// it are resumed there without a thread wake-up (see ``EventLoopTaskExecutor``).
    public let executor: EventLoopTaskExecutor
    private let decoder: UpbitFrameDecoder
    private let encoder: UpbitRequestEncoder
    private let signer: UpbitTokenSigner?
    private let webSocketBase: WebSocketURL
    private let tls: WebSocketTLS
    private let logger: Logger

    /// Creates the module.
    /// - Parameters:
    ///   - exchange: Its identifier (default: the dialect's, `upbit` for Upbit).
    ///   - dialect: The venue: ``UpbitDialect/upbit`` (default), ``UpbitDialect/bithumb``, a regional site.
    ///   - configuration: Endpoint, credentials and limits.
    ///   - logger: Where connection problems are logged (never with secrets).
    ///   - httpClient: The HTTP client for REST calls (the process-wide shared one by default).
    ///   - executor: The event loop for the module's sockets (one of NIO's shared loops by default).
    /// - Throws: ``MarketStreamError/Code/invalidArgument`` for a base URL that is not `ws://` or
    ///   `wss://`, a REST base that is not `http://` or `https://`, or an unreadable CA file.
    public init(
        exchange: ExchangeID? = nil, dialect: UpbitDialect = .upbit, configuration: Configuration = Configuration(),
        logger: Logger, httpClient: HTTPClient = .shared, executor: EventLoopTaskExecutor = EventLoopTaskExecutor()
    ) throws(MarketStreamError) {
        let exchange = exchange ?? dialect.exchange
        self.exchange = exchange
        self.dialect = dialect
        self.executor = executor
        self.configuration = configuration
        self.logger = logger
        let base = configuration.baseURL ?? dialect.webSocketBase
        do {
            webSocketBase = try WebSocketURL(base)
        } catch {
            throw MarketStreamError(
                .invalidArgument, "endpoint '\(base)' is not a ws:// or wss:// URL", exchange: exchange)
        }
        if let file = configuration.extraCAFile {
            guard FileManager.default.isReadableFile(atPath: file) else {
                throw MarketStreamError(.invalidArgument, "CA file '\(file)' cannot be read", exchange: exchange)
            }
        }
        tls = WebSocketTLS(extraCAFile: configuration.extraCAFile)
        rest = try UpbitRESTClient(
            baseURL: configuration.restBaseURL
                ?? (configuration.baseURL == nil ? dialect.restBase : Self.restBase(forWebSocketBase: base)),
            credentials: configuration.credentials, tokenAlgorithm: configuration.tokenAlgorithm,
            timestampClaim: dialect.tokenHasTimestampClaim, exchange: exchange,
            extraCAFile: configuration.extraCAFile, httpClient: httpClient)
        encoder = UpbitRequestEncoder(format: configuration.format, dialect: dialect)
        decoder = UpbitFrameDecoder(dialect: dialect)
        signer = configuration.credentials.map {
            UpbitTokenSigner(
                credentials: $0, algorithm: configuration.tokenAlgorithm, timestampClaim: dialect.tokenHasTimestampClaim
            )
        }
        // Bithumb publishes no per-connection message limit; Upbit's is kept as the safe pace.
        let limits = [RateLimit(5, per: .seconds(1)), RateLimit(100, per: .seconds(60))]
        var publicFamilies = Set(DataKind.publicBuiltIns.map(\.family))
        if !dialect.streamsCandles { publicFamilies = publicFamilies.filter { !$0.hasPrefix("candle") } }
        channels = [
            ExchangeChannel(
                id: .public, families: publicFamilies, messageLimits: limits,
                keepaliveInterval: configuration.keepaliveInterval, silenceTolerance: configuration.silenceTolerance,
                staysWarm: true, subscribingBringsData: true, orderbookDepths: dialect.orderbookDepths),
            ExchangeChannel(
                id: .private, families: ["myOrder", "myAsset"], requiresAuthentication: true, messageLimits: limits,
                keepaliveInterval: configuration.keepaliveInterval, silenceTolerance: .seconds(365 * 86_400)),
        ]
    }

    public var hasCredentials: Bool { signer != nil }

    /// The WebSocket base the module connects to: the configured one, or the dialect's venue.
    public var endpoint: String { configuration.baseURL ?? dialect.webSocketBase }

    /// `wss://host` → `https://host`, `ws://host` → `http://host`.
    static func restBase(forWebSocketBase base: String) -> String {
        base.hasPrefix("wss://") ? "https://" + base.dropFirst(6) : "http://" + base.dropFirst(5)
    }

    /// Upbit allows 5 connection attempts per second, Bithumb 10.
    public var connectLimit: RateLimit { RateLimit(dialect.connectsPerSecond, per: .seconds(1)) }

    /// Upbit's and Bithumb's frames each stand alone: the decoder keeps nothing between them.
    public var decodesFramesIndependently: Bool { true }

    public func connect(to channel: ChannelID, handler: any ConnectionHandler) async throws {
        var url = webSocketBase
        let base = url.requestTarget == "/" ? "" : url.requestTarget
        url.requestTarget = base + (channel == .private ? dialect.privatePath : dialect.publicPath)
        var headers = HTTPHeaders()
        if channel == .private {
            guard let signer else {
                throw MarketStreamError(
                    .authenticationUnavailable, "no \(exchange) credentials configured", exchange: exchange)
            }
            // A fresh token (fresh nonce) for every connection attempt.
            headers.add(name: "Authorization", value: signer.authorization())
        }
        let transport = WebSocketTransportConfiguration(
            headers: headers, maxMessageSize: configuration.maxFrameSize,
            connectTimeout: configuration.connectTimeout, tls: tls)
        do {
            try await WebSocketTransport.run(
                url: url, configuration: transport, eventLoop: executor.eventLoop, handler: handler, logger: logger)
        } catch let error as WebSocketTransportError {
            throw MarketStreamError(error, exchange: exchange)
        }
    }

    public func decode(
        _ frame: MarketStreamCore.WebSocketMessage, context: DecodeContext, into output: inout DecodedFrame
    )
        throws(MarketStreamError)
    {
        try frame.withUnsafeBytes { (bytes) throws(MarketStreamError) in
            try decoder.decode(bytes, context: context, into: &output)
        }
    }

    /// A ticker's or trade's topic from the frame's first two members, for a router that only
    /// passes frames on (``UpbitFrameDecoder/forwardedTopic(_:exchange:)``).
    public func forwardedTopic(of frame: MarketStreamCore.WebSocketMessage, exchange: ExchangeID) -> SubscriptionTopic?
    {
        frame.withUnsafeBytes { decoder.forwardedTopic($0, exchange: exchange) }
    }

    /// `LIST_SUBSCRIPTIONS` on the public channel, for the router's drift audit; `nil` on a venue
    /// where it is not verified (Bithumb).
    /// Books of the dialect's depths; price grouping (`level`) on KRW markets only, as Upbit groups no other.
    public func validate(_ topic: SubscriptionTopic, on channel: ExchangeChannel) -> MarketStreamError? {
        validateOrderbook(topic, on: channel, allowsLevel: topic.market.quote == "KRW")
    }

    public func auditMessage(for channel: ChannelID) -> OutboundMessage? {
        channel == .public && dialect.supportsSubscriptionList ? .text(encoder.listSubscriptions()) : nil
    }

    /// Books as requested (one depth per market), without their `level`, which the list omits.
    public func expectedSubscriptionList(for upstream: Set<SubscriptionTopic>, on channel: ChannelID)
        -> Set<SubscriptionTopic>
    {
        Set(
            UpbitRequestEncoder.requestedTopics(for: upstream).map { topic in
                guard topic.kind.isOrderbook else { return topic }
                return SubscriptionTopic(
                    exchange: topic.exchange, kind: .orderbook(depth: topic.kind.orderbookDepth), market: topic.market)
            })
    }

    public func overwriteMessage(for request: SubscriptionRequest) throws(MarketStreamError) -> OutboundMessage? {
        try encoder.encode(request).map { .text($0) }
    }
}
