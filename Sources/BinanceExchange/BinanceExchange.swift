import AsyncHTTPClient
import BinanceWire
import Logging
import MarketStreamCore
import MarketStreamTransport
import NIOCore
import NIOHTTP1

/// Binance spot's public market data as an exchange module: the router drives its
/// subscribe/unsubscribe protocol as it drives Upbit's overwrite protocol.
///
/// One connection to `/stream` (combined streams: every frame names its stream) carries
/// `SUBSCRIBE`/`UNSUBSCRIBE` requests with ids, acknowledged with `{"result":null,"id":…}`;
/// `LIST_SUBSCRIPTIONS` serves the router's drift audit. Markets keep MarketStream's
/// `QUOTE-BASE` codes: `USDT-BTC` is Binance's `BTCUSDT` (stream `btcusdt@trade`).
///
/// ```swift
/// let binance = try BinanceExchange(logger: logger)                      // the real venue
/// let mock = try BinanceExchange(configuration: .init(baseURL: "ws://127.0.0.1:8080/binance"), logger: logger)
/// let router = MarketDataRouter(managers: [upbit, binance], logger: logger)
/// for try await event in try router.subscribe(to: .trade, markets: [MarketCode("USDT-BTC")], on: "binance") { … }
/// ```
///
/// Kinds: `ticker` (24-hour rolling, with best bid and ask), `trade`, `orderbook` (the whole
/// book, kept from `@depth@100ms` changes on a REST snapshot and resynchronized after a gap),
/// `orderbook.5/10/20` (the `@depth20@100ms` stream, or the kept book while anyone wants it, cut
/// by the router), and candles of 1 s, 1, 3, 5, 15, 30, 60 and 240 minutes. Binance answers no
/// snapshot request on the socket: snapshots come from REST (``restSnapshot(of:markets:)``).
public struct BinanceExchange: IncrementalSubscriptionManager {
    /// Where to reach Binance (or the mock exchange's Binance dialect).
    public struct Configuration: Sendable {
        /// The WebSocket base; `/stream` is appended. Default `wss://stream.binance.com:9443`.
        public var baseURL: String
        /// The REST base for depth snapshots; `nil` derives it from ``baseURL`` (the real venue's
        /// `https://api.binance.com`, or the base with `http(s)://` for the mock exchange).
        public var restBaseURL: String?
        /// Levels per side of the depth snapshot a whole book starts from (Binance: up to 5 000;
        /// 1 000 costs a weight of 10 of the 6 000 a minute).
        public var snapshotLevels: Int
        /// A PEM file with an extra CA to trust (certificate verification stays on).
        public var extraCAFile: String?
        /// How long connecting, the TLS handshake and the upgrade may take.
        public var connectTimeout: Duration
        /// Protocol ping interval: each ping counts against Binance's 5 messages a second.
        public var keepaliveInterval: Duration
        /// Silence after which a connection is replaced.
        public var silenceTolerance: Duration
        /// The largest message accepted.
        public var maxFrameSize: Int
        /// How long Binance keeps a connection open (24 hours). The router replaces each
        /// connection before then without a gap; a test against the mock exchange sets seconds.
        public var connectionLifetime: Duration
        /// How many streams Binance lets one connection carry (1 024). The router spreads a larger
        /// set over several connections; a test against the mock exchange sets a few.
        public var streamsPerConnection: Int

        /// Creates a configuration.
        public init(
            baseURL: String = "wss://stream.binance.com:9443", restBaseURL: String? = nil, snapshotLevels: Int = 1_000,
            extraCAFile: String? = nil, connectTimeout: Duration = .seconds(10),
            keepaliveInterval: Duration = .seconds(20), silenceTolerance: Duration = .seconds(60),
            maxFrameSize: Int = 4 << 20, connectionLifetime: Duration = .seconds(24 * 3_600),
            streamsPerConnection: Int = 1_024
        ) {
            self.connectionLifetime = connectionLifetime
            self.streamsPerConnection = streamsPerConnection
            self.baseURL = baseURL
            self.restBaseURL = restBaseURL
            self.snapshotLevels = snapshotLevels
            self.extraCAFile = extraCAFile
            self.connectTimeout = connectTimeout
            self.keepaliveInterval = keepaliveInterval
            self.silenceTolerance = silenceTolerance
            self.maxFrameSize = maxFrameSize
        }
    }

    public let exchange: ExchangeID
    public let channels: [ExchangeChannel]
    public let configuration: Configuration
    /// The event loop the module's socket is read, decoded and routed on.
    public let executor: EventLoopTaskExecutor
    private let url: WebSocketURL
    private let tls: WebSocketTLS
    private let decoder: BinanceFrameDecoder
    private let books: BinanceBookKeeper
    let rest: BinanceRESTClient
    private let logger: Logger

    /// Creates the module.
    /// - Parameters:
    ///   - exchange: Its identifier (default `binance`).
    ///   - configuration: Endpoint and timing.
    ///   - logger: Where connection problems are logged.
    ///   - httpClient: The HTTP client for depth snapshots (the process-wide shared one by default).
    ///   - executor: The event loop for the socket (one of NIO's shared loops by default).
    /// - Throws: ``MarketStreamError/Code/invalidArgument`` for a base that is not `ws://` or `wss://`.
    public init(
        exchange: ExchangeID = "binance", configuration: Configuration = Configuration(), logger: Logger,
        httpClient: HTTPClient = .shared, executor: EventLoopTaskExecutor = EventLoopTaskExecutor()
    ) throws(MarketStreamError) {
        self.exchange = exchange
        self.configuration = configuration
        self.logger = logger
        self.executor = executor
        do {
            var url = try WebSocketURL(configuration.baseURL)
            url.requestTarget = (url.requestTarget == "/" ? "" : url.requestTarget) + "/stream"
            self.url = url
        } catch {
            throw MarketStreamError(
                .invalidArgument, "endpoint '\(configuration.baseURL)' is not a ws:// or wss:// URL", exchange: exchange
            )
        }
        tls = WebSocketTLS(extraCAFile: configuration.extraCAFile)
        guard (1...5_000).contains(configuration.snapshotLevels) else {
            throw MarketStreamError(.invalidArgument, "snapshotLevels must be 1 to 5000", exchange: exchange)
        }
        guard configuration.streamsPerConnection >= 1 else {
            throw MarketStreamError(.invalidArgument, "streamsPerConnection must be at least 1", exchange: exchange)
        }
        guard configuration.connectionLifetime >= .seconds(1) else {
            throw MarketStreamError(.invalidArgument, "connectionLifetime must be at least 1 s", exchange: exchange)
        }
        let rest = BinanceRESTClient(
            baseURL: configuration.restBaseURL ?? Self.restBase(forWebSocketBase: configuration.baseURL),
            exchange: exchange, httpClient: httpClient)
        self.rest = rest
        let levels = configuration.snapshotLevels
        books = BinanceBookKeeper(exchange: exchange) { market in try await rest.depth(of: market, limit: levels) }
        decoder = BinanceFrameDecoder(books: books)
        let candles = CandleInterval.allCases.filter { BinanceStream.klineName($0) != nil }
        channels = [
            ExchangeChannel(
                id: .public, families: Set(["ticker", "trade", "orderbook"] + candles.map { "candle.\($0.rawValue)" }),
                // Binance allows 5 incoming messages a second, pings and pongs included: one is
                // left for them.
                messageLimits: [RateLimit(4, per: .seconds(1))],
                keepaliveInterval: configuration.keepaliveInterval, silenceTolerance: configuration.silenceTolerance,
                staysWarm: true, orderbookDepths: [.five, .ten, .twenty], snapshotsOverSocket: false,
                connectionLifetime: configuration.connectionLifetime,
                streamsPerConnection: configuration.streamsPerConnection)
        ]
    }

    /// `market`'s book from REST (`GET /api/v3/depth`) with its update id: what a whole book
    /// starts from.
    /// - Parameter levels: Levels per side, 1–5 000.
    /// - Throws: ``MarketStreamError``: `.rateLimited`, `.exchangeError`, `.malformedFrame`.
    public func depth(of market: MarketCode, levels: Int = 100) async throws -> SequencedOrderbook {
        try await rest.depth(of: market, limit: levels)
    }

    /// Drops the books kept from a closed connection's changes.
    public func connectionEnded(_ connection: UInt64, on channel: ChannelID) {
        books.forget(connection: connection)
    }

    /// 300 connection attempts per 5 minutes per address.
    public var connectLimit: RateLimit { RateLimit(300, per: .seconds(300)) }

    public func connect(to channel: ChannelID, handler: any ConnectionHandler) async throws {
        let transport = WebSocketTransportConfiguration(
            headers: HTTPHeaders(), maxMessageSize: configuration.maxFrameSize,
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
    ) throws(MarketStreamError) {
        try frame.withUnsafeBytes { (bytes) throws(MarketStreamError) in
            try decoder.decode(bytes, context: context, into: &output)
        }
    }

    /// Books need no grouping level and a depth Binance streams; candles an interval it has.
    public func validate(_ topic: SubscriptionTopic, on channel: ExchangeChannel) -> MarketStreamError? {
        if let refusal = validateOrderbook(topic, on: channel, allowsLevel: false) { return refusal }
        if let interval = topic.kind.candleInterval, BinanceStream.klineName(interval) == nil {
            return MarketStreamError(
                .unsupportedDataKind, "Binance has no \(interval.rawValue) candles", exchange: exchange)
        }
        return nil
    }

    /// Every book topic of a market reads one stream: the whole book's changes (`@depth@100ms`)
    /// when anyone wants the whole book (`orderbook`), else the top 20 (`@depth20@100ms`); the
    /// router cuts each subscriber's depth from it.
    public func requestedTopics(for desired: Set<SubscriptionTopic>) -> Set<SubscriptionTopic> {
        var wholeBooks: Set<MarketCode> = []
        for topic in desired where topic.kind.isOrderbook && topic.kind.orderbookDepth == nil {
            wholeBooks.insert(topic.market)
        }
        return Set(
            desired.map { topic in
                guard topic.kind.isOrderbook else { return topic }
                let depth: OrderbookDepth? = wholeBooks.contains(topic.market) ? nil : .twenty
                return SubscriptionTopic(exchange: topic.exchange, kind: .orderbook(depth: depth), market: topic.market)
            })
    }

    public func incrementalMessages(
        subscribe: Set<SubscriptionTopic>, unsubscribe: Set<SubscriptionTopic>, snapshots: Set<SubscriptionTopic>,
        channel: ChannelID, firstRequestID: Int
    ) throws(MarketStreamError) -> [OutboundMessage] {
        var messages: [OutboundMessage] = []
        var id = firstRequestID
        for (method, topics) in [("UNSUBSCRIBE", unsubscribe), ("SUBSCRIBE", subscribe)] where !topics.isEmpty {
            var names: [String] = []
            for topic in topics {
                if method == "UNSUBSCRIBE", topic.kind.isOrderbook, topic.kind.orderbookDepth == nil {
                    books.forget(topic.market)
                }
                guard let stream = BinanceStream(topic: topic) else {
                    throw MarketStreamError(.requestRejected, "Binance has no stream for \(topic)", exchange: exchange)
                }
                names.append(stream.name)
            }
            messages.append(.text(Self.request(method, params: names.sorted(), id: id)))
            id += 1
        }
        return messages
    }

    public func auditMessage(for channel: ChannelID) -> OutboundMessage? {
        .text("{\"method\":\"LIST_SUBSCRIPTIONS\",\"id\":0}")
    }

    /// The REST base a WebSocket base implies: Binance's own for `stream.binance.com`, else the
    /// same host and path over `http(s)://` (the mock exchange serves both on one port).
    static func restBase(forWebSocketBase base: String) -> String {
        if base.contains("stream.binance.com") || base.contains("data-stream.binance.vision") {
            return "https://api.binance.com"
        }
        if base.hasPrefix("wss://") { return "https://" + base.dropFirst("wss://".count) }
        if base.hasPrefix("ws://") { return "http://" + base.dropFirst("ws://".count) }
        return base
    }

    static func request(_ method: String, params: [String], id: Int) -> String {
        let list = params.map { "\"\($0)\"" }.joined(separator: ",")
        return "{\"method\":\"\(method)\",\"params\":[\(list)],\"id\":\(id)}"
    }
}
