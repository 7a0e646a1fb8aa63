import AsyncHTTPClient
import Clocks
import Foundation
import MarketStreamCore
import NIOCore
import NIOHTTP1
import NIOSSL

/// Upbit's REST API over async-http-client: account, orders and quotation snapshots, kept inside
/// Upbit's per-group rate limits (`Remaining-Req`, 429 → wait for the next second, 418 → stop and
/// report), with order placement and cancels ahead of background polling.
///
/// ```swift
/// let rest = try UpbitRESTClient(baseURL: "https://api.upbit.com", credentials: credentials)
/// let balances = try await rest.accounts()
/// let order = try await rest.placeOrder(.limit(btc, .bid, price: 116_000_000, volume: 0.001))
/// ```
///
/// Every private call carries a fresh JWT (fresh nonce) with `query_hash` when it has
/// parameters. Errors are ``UpbitRESTError``s, which never contain a key or a token.
public struct UpbitRESTClient: Sendable {
    /// The base URL (`https://api.upbit.com`); paths such as `/v1/accounts` are appended.
    public let baseURL: String
    /// The exchange the events it returns are stamped with.
    public let exchange: ExchangeID
    private let signer: UpbitTokenSigner?
    private let httpClient: HTTPClient
    private let tls: TLSConfiguration?
    private let limiter: UpbitRESTLimiter
    private let timeout: Duration
    private let wallClock: @Sendable () -> UnixTime
    private let decoder: UpbitRESTDecoder

    /// Creates a client.
    /// - Parameters:
    ///   - baseURL: `https://` (or `http://`, for the mock exchange) base URL.
    ///   - credentials: API keys for the private calls; without them those throw
    ///     ``UpbitRESTError/Reason/credentialsMissing``.
    ///   - tokenAlgorithm: HS512 (default) or HS256.
    ///   - timestampClaim: Whether tokens carry a `timestamp` claim (Bithumb requires one).
    ///   - exchange: The identifier events are stamped with.
    ///   - extraCAFile: A PEM file with an extra CA to trust (verification stays on).
    ///   - httpClient: The HTTP client to use (the process-wide shared one by default).
    ///   - clock: The clock the rate limiter sleeps on.
    ///   - timeout: Per-call timeout.
    ///   - wallClock: Stamps the events' receive time.
    /// - Throws: ``MarketStreamError/Code/invalidArgument`` for a base URL that is not HTTP(S) or an
    ///   unreadable CA file.
    public init(
        baseURL: String = "https://api.upbit.com", credentials: UpbitCredentials? = nil,
        tokenAlgorithm: UpbitTokenSigner.Algorithm = .hs512, timestampClaim: Bool = false,
        exchange: ExchangeID = "upbit",
        extraCAFile: String? = nil, httpClient: HTTPClient = .shared,
        clock: AnyClock<Duration> = AnyClock(ContinuousClock()), timeout: Duration = .seconds(10),
        wallClock: @escaping @Sendable () -> UnixTime = {
            UnixTime(nanoseconds: Int64(Date().timeIntervalSince1970 * 1e9))
        }
    ) throws(MarketStreamError) {
        guard baseURL.hasPrefix("https://") || baseURL.hasPrefix("http://"), baseURL.count > 8 else {
            throw MarketStreamError(
                .invalidArgument, "REST endpoint '\(baseURL)' is not an http:// or https:// URL", exchange: exchange)
        }
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.exchange = exchange
        self.decoder = UpbitRESTDecoder(exchange: exchange)
        self.signer = credentials.map {
            UpbitTokenSigner(credentials: $0, algorithm: tokenAlgorithm, timestampClaim: timestampClaim)
        }
        self.httpClient = httpClient
        if let extraCAFile {
            guard FileManager.default.isReadableFile(atPath: extraCAFile) else {
                throw MarketStreamError(.invalidArgument, "CA file '\(extraCAFile)' cannot be read", exchange: exchange)
            }
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.certificateVerification = .fullVerification
            tls.additionalTrustRoots = [.file(extraCAFile)]
            self.tls = tls
        } else {
            self.tls = nil
        }
        self.limiter = UpbitRESTLimiter(clock: clock)
        self.timeout = timeout
        self.wallClock = wallClock
    }

    /// Whether private calls can be made.
    public var hasCredentials: Bool { signer != nil }

    // MARK: - Exchange (private)

    /// The account's balances (`GET /v1/accounts`).
    public func accounts(priority: UpbitRequestPriority = .query) async throws(UpbitRESTError) -> [UpbitAccount] {
        let json = try await call(.GET, "/v1/accounts", group: .default, priority: priority, private: true)
        return try decoder.list(json, endpoint: "GET /v1/accounts", UpbitAccount.init(json:))
    }

    /// Open orders (`GET /v1/orders/open`), optionally of one market.
    public func openOrders(market: MarketCode? = nil, priority: UpbitRequestPriority = .query)
        async throws(UpbitRESTError) -> [UpbitOrder]
    {
        let query = market.map { [("market", $0.rawValue)] } ?? []
        let json = try await call(
            .GET, "/v1/orders/open", query: query, group: .default, priority: priority, private: true)
        return try decoder.list(json, endpoint: "GET /v1/orders/open", UpbitOrder.init(json:))
    }

    /// Finished orders (`GET /v1/orders/closed`, states `done` and `cancel`), newest first.
    public func closedOrders(market: MarketCode? = nil, limit: Int = 100, priority: UpbitRequestPriority = .query)
        async throws(UpbitRESTError) -> [UpbitOrder]
    {
        guard (1...1_000).contains(limit) else {
            throw UpbitRESTError(.invalidRequest, endpoint: "GET /v1/orders/closed", message: "limit must be 1 to 1000")
        }
        var query = market.map { [("market", $0.rawValue)] } ?? []
        query += [("limit", String(limit)), ("order_by", "desc")]
        let json = try await call(
            .GET, "/v1/orders/closed", query: query, group: .default, priority: priority, private: true)
        return try decoder.list(json, endpoint: "GET /v1/orders/closed", UpbitOrder.init(json:))
    }

    /// One order with its fills (`GET /v1/order`).
    public func order(uuid: String, priority: UpbitRequestPriority = .query) async throws(UpbitRESTError)
        -> UpbitOrder
    {
        let json = try await call(
            .GET, "/v1/order", query: [("uuid", uuid)], group: .default, priority: priority, private: true)
        return try decoder.object(json, endpoint: "GET /v1/order", UpbitOrder.init(json:))
    }

    /// Places an order (`POST /v1/orders`), ahead of any background call.
    public func placeOrder(_ request: UpbitOrderRequest) async throws(UpbitRESTError) -> UpbitOrder {
        let json = try await call(
            .POST, "/v1/orders", body: request.fields, group: .order, priority: .trading, private: true)
        return try decoder.object(json, endpoint: "POST /v1/orders", UpbitOrder.init(json:))
    }

    /// Cancels an order (`DELETE /v1/order`), ahead of any background call.
    public func cancelOrder(uuid: String) async throws(UpbitRESTError) -> UpbitOrder {
        let json = try await call(
            .DELETE, "/v1/order", query: [("uuid", uuid)], group: .default, priority: .trading, private: true)
        return try decoder.object(json, endpoint: "DELETE /v1/order", UpbitOrder.init(json:))
    }

    // MARK: - Quotation (public)

    /// Every listed market (`GET /v1/market/all`).
    public func markets() async throws(UpbitRESTError) -> [UpbitMarket] {
        let json = try await call(.GET, "/v1/market/all", group: .market, priority: .query, private: false)
        return try decoder.list(json, endpoint: "GET /v1/market/all", decoder.market)
    }

    /// Current tickers (`GET /v1/ticker`) as snapshot events.
    public func tickers(_ markets: [MarketCode], priority: UpbitRequestPriority = .query)
        async throws(UpbitRESTError) -> [MarketEvent]
    {
        let json = try await call(
            .GET, "/v1/ticker", query: [("markets", Self.commaList(markets))], group: .ticker, priority: priority,
            private: false)
        let receivedAt = wallClock()
        return try decoder.list(json, endpoint: "GET /v1/ticker") { item throws(RESTJSON.Malformed) in
            try decoder.ticker(item, receivedAt: receivedAt)
        }
    }

    /// Current order books (`GET /v1/orderbook`) as snapshot events of `orderbook` with `count` levels.
    public func orderbooks(_ markets: [MarketCode], count: Int = 30, priority: UpbitRequestPriority = .query)
        async throws(UpbitRESTError) -> [MarketEvent]
    {
        let json = try await call(
            .GET, "/v1/orderbook", query: [("markets", Self.commaList(markets)), ("count", String(count))],
            group: .orderbook, priority: priority, private: false)
        let receivedAt = wallClock()
        return try decoder.list(json, endpoint: "GET /v1/orderbook") { item throws(RESTJSON.Malformed) in
            try decoder.orderbook(item, receivedAt: receivedAt)
        }
    }

    /// Recent trades of one market (`GET /v1/trades/ticks`), newest first, as snapshot events.
    public func trades(_ market: MarketCode, count: Int = 1, priority: UpbitRequestPriority = .query)
        async throws(UpbitRESTError) -> [MarketEvent]
    {
        let json = try await call(
            .GET, "/v1/trades/ticks", query: [("market", market.rawValue), ("count", String(count))], group: .trade,
            priority: priority, private: false)
        let receivedAt = wallClock()
        return try decoder.list(json, endpoint: "GET /v1/trades/ticks") { item throws(RESTJSON.Malformed) in
            try decoder.trade(item, receivedAt: receivedAt)
        }
    }

    /// Recent minute candles of one market (`GET /v1/candles/minutes/{unit}`), newest first.
    /// - Throws: ``UpbitRESTError/Reason/invalidRequest`` for the one-second interval (not a minute unit).
    public func candles(
        _ market: MarketCode, interval: CandleInterval, count: Int = 1, priority: UpbitRequestPriority = .query
    ) async throws(UpbitRESTError) -> [MarketEvent] {
        let unit = interval.seconds / 60
        let path = "/v1/candles/minutes/\(unit)"
        guard unit >= 1 else {
            throw UpbitRESTError(
                .invalidRequest, endpoint: "GET /v1/candles/minutes", message: "no REST \(interval) candles")
        }
        let json = try await call(
            .GET, path, query: [("market", market.rawValue), ("count", String(count))], group: .candle,
            priority: priority, private: false)
        let receivedAt = wallClock()
        return try decoder.list(json, endpoint: "GET \(path)") { item throws(RESTJSON.Malformed) in
            try decoder.candle(item, interval: interval, receivedAt: receivedAt)
        }
    }

    // MARK: - Calls

    private func call(
        _ method: HTTPMethod, _ path: String, query: [(String, String)] = [], body: [(String, String)]? = nil,
        group: UpbitRateGroup, priority: UpbitRequestPriority, private isPrivate: Bool
    ) async throws(UpbitRESTError) -> RESTJSON {
        let endpoint = "\(method.rawValue) \(path)"
        var request = HTTPClientRequest(url: baseURL + path + Self.encodedQuery(query))
        request.method = method
        request.tlsConfiguration = tls
        request.headers.add(name: "Accept", value: "application/json")
        if let body {
            let object = "{" + body.map { "\"\($0.0)\":\"\(Self.escape($0.1))\"" }.joined(separator: ",") + "}"
            request.headers.add(name: "Content-Type", value: "application/json; charset=utf-8")
            request.body = .bytes(ByteBuffer(string: object))
        }
        // The un-encoded `k=v&…` form of the parameters, for `query_hash`.
        let hashed = (body ?? query).map { "\($0.0)=\($0.1)" }.joined(separator: "&")

        var attempts = 0
        while true {
            attempts += 1
            let admission: UpbitRESTLimiter.Admission
            do {
                admission = try await limiter.acquire(group, priority: priority)
            } catch {
                throw UpbitRESTError(.transport, endpoint: endpoint, message: "cancelled")
            }
            if case .blocked(let retryAfter) = admission {
                throw UpbitRESTError(
                    .blocked(group, retryAfter: retryAfter), endpoint: endpoint,
                    message: "the exchange blocked this client after repeated 429s")
            }
            if isPrivate {
                guard let signer else {
                    throw UpbitRESTError(
                        .credentialsMissing, endpoint: endpoint, message: "no API credentials configured")
                }
                // A fresh token (fresh nonce) for every attempt.
                request.headers.replaceOrAdd(name: "Authorization", value: signer.authorization(query: hashed))
            }
            let response: HTTPClientResponse
            let bytes: [UInt8]
            do {
                response = try await httpClient.execute(request, timeout: TimeAmount(timeout))
                bytes = Array(buffer: try await response.body.collect(upTo: 1 << 24))
            } catch {
                throw UpbitRESTError(.transport, endpoint: endpoint, message: Self.describe(error))
            }
            let status = Int(response.status.code)
            let retryAfter = response.headers.first(name: "Retry-After").flatMap(Int.init).map { Duration.seconds($0) }
            limiter.record(
                status: status,
                remaining: response.headers.first(name: "Remaining-Req").flatMap(UpbitRemainingRequests.init(header:)),
                retryAfter: retryAfter, group: group)
            if status == 429, attempts < 3 { continue }  // the limiter now waits for the next second
            let json = try? RESTJSON.parse(bytes)
            guard (200..<300).contains(status) else {
                throw decoder.failure(
                    status: status, body: json, retryAfter: retryAfter, group: group, endpoint: endpoint)
            }
            guard let json else {
                throw UpbitRESTError(.malformedResponse, endpoint: endpoint, message: "the body is not JSON")
            }
            return json
        }
    }

    private static func commaList(_ markets: [MarketCode]) -> String {
        markets.map(\.rawValue).joined(separator: ",")
    }

    private static func encodedQuery(_ query: [(String, String)]) -> String {
        guard !query.isEmpty else { return "" }
        var allowed = CharacterSet.urlQueryAllowed
        allowed.remove(charactersIn: "&=+")
        return "?"
            + query.map { key, value in
                "\(key)=\(value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value)"
            }.joined(separator: "&")
    }

    private static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
    }

    /// A transport error's text, without headers (which could hold a token).
    private static func describe(_ error: any Error) -> String {
        if let error = error as? HTTPClientError { return "request failed: \(error)" }
        if let error = error as? NIOSSLError { return "TLS failed: \(error)" }
        return "request failed: \(error)"
    }
}
