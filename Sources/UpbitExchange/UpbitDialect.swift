import Foundation
import MarketStreamCore

/// What sets one venue that speaks Upbit's WebSocket protocol apart from another: Upbit itself,
/// its regional sites (Singapore, Indonesia, Thailand) and Bithumb, which cloned the protocol.
///
/// ``UpbitExchange`` is built from a dialect, so each of these venues is the same module with
/// other values, not a fork:
///
/// ```swift
/// let bithumb = try UpbitExchange(dialect: .bithumb, logger: logger)
/// let singapore = try UpbitExchange(dialect: .upbitSingapore, logger: logger)
/// ```
///
/// The facts behind each value are in `shared/research/distributed.md` §4.1–4.2 and
/// `shared/upbit/PROTOCOL.md`.
public struct UpbitDialect: Sendable, Hashable, CustomStringConvertible {
    /// How a venue spells the per-type snapshot flags of a request.
    public enum SnapshotFlagSpelling: Sendable, Hashable {
        /// `is_only_snapshot` / `is_only_realtime` (Upbit Korea, verified on the wire).
        case snakeCase
        /// `isOnlySnapshot` / `isOnlyRealtime` (Bithumb, which ignores the snake_case keys).
        case camelCase
    }

    /// The unit of a frame's epoch timestamps.
    public enum TimestampUnit: Sendable, Hashable {
        case milliseconds, microseconds
    }

    /// The venue's identifier, stamped on every event (`upbit`, `bithumb`, `upbit-sg`, …).
    public var exchange: ExchangeID
    /// The WebSocket base of the real venue (`wss://api.upbit.com`).
    public var webSocketBase: String
    /// The public channel's path (`/websocket/v1`).
    public var publicPath: String
    /// The private channel's path (`/websocket/v1/private`; Bithumb: `/websocket/v2/private`).
    public var privatePath: String
    /// The REST base of the real venue (`https://api.upbit.com`).
    public var restBase: String
    /// How the snapshot flags are spelled in requests.
    public var snapshotFlags: SnapshotFlagSpelling
    /// The unit of the `timestamp` of order-book frames (Bithumb: microseconds).
    public var orderbookTimestampUnit: TimestampUnit
    /// The `level` the venue writes on books that were not grouped (Upbit 0, Bithumb 1); the
    /// decoder reads it as "no grouping", so such books reach subscribers that asked for none.
    public var ungroupedOrderbookLevel: ExactDecimal
    /// Whether `trade_date`/`trade_time` arrive in KST (Bithumb) rather than UTC: the decoder
    /// then rewrites them from `trade_timestamp`, so ``Ticker/tradeDate`` is UTC on every venue.
    public var dateStringsInKST: Bool
    /// Whether candles stream on the socket (Bithumb has none there).
    public var streamsCandles: Bool
    /// Whether the private kinds' SIMPLE keys are documented; where not (Bithumb's `myOrder` v2),
    /// the private channel always asks for DEFAULT.
    public var privateSimpleKeysKnown: Bool
    /// Whether tokens carry a `timestamp` claim (epoch milliseconds), as Bithumb requires.
    public var tokenHasTimestampClaim: Bool
    /// Connection attempts allowed per second from one address.
    public var connectsPerSecond: Int
    /// Whether `LIST_SUBSCRIPTIONS` is verified on this venue, so the router's drift audit may
    /// use it when it is switched on.
    public var supportsSubscriptionList: Bool
    /// The book depths (`KRW-BTC.15`) the venue serves: Upbit 1, 5, 15 and 30; Bithumb 1, 5 and 15.
    public var orderbookDepths: Set<OrderbookDepth>

    /// Creates a dialect; the named ones (``upbit``, ``bithumb``, …) cover the known venues.
    public init(
        exchange: ExchangeID, webSocketBase: String, publicPath: String = "/websocket/v1",
        privatePath: String = "/websocket/v1/private", restBase: String,
        snapshotFlags: SnapshotFlagSpelling = .snakeCase,
        orderbookTimestampUnit: TimestampUnit = .milliseconds,
        ungroupedOrderbookLevel: ExactDecimal = .zero,
        dateStringsInKST: Bool = false,
        streamsCandles: Bool = true, privateSimpleKeysKnown: Bool = true,
        tokenHasTimestampClaim: Bool = false, connectsPerSecond: Int = 5, supportsSubscriptionList: Bool = true,
        orderbookDepths: Set<OrderbookDepth> = [.one, .five, .fifteen, .thirty]
    ) {
        self.orderbookDepths = orderbookDepths
        self.exchange = exchange
        self.webSocketBase = webSocketBase
        self.publicPath = publicPath
        self.privatePath = privatePath
        self.restBase = restBase
        self.snapshotFlags = snapshotFlags
        self.orderbookTimestampUnit = orderbookTimestampUnit
        self.ungroupedOrderbookLevel = ungroupedOrderbookLevel
        self.dateStringsInKST = dateStringsInKST
        self.streamsCandles = streamsCandles
        self.privateSimpleKeysKnown = privateSimpleKeysKnown
        self.tokenHasTimestampClaim = tokenHasTimestampClaim
        self.connectsPerSecond = connectsPerSecond
        self.supportsSubscriptionList = supportsSubscriptionList
    }

    /// Upbit Korea (`api.upbit.com`).
    public static let upbit = UpbitDialect(
        exchange: "upbit", webSocketBase: "wss://api.upbit.com", restBase: "https://api.upbit.com")

    /// Upbit Singapore (`sg-api.upbit.com`): its own exchange, keys and markets (SGD-…).
    public static let upbitSingapore = regional("upbit-sg", host: "sg-api.upbit.com")
    /// Upbit Indonesia (`id-api.upbit.com`): its own exchange, keys and markets (IDR-…).
    public static let upbitIndonesia = regional("upbit-id", host: "id-api.upbit.com")
    /// Upbit Thailand (`th-api.upbit.com`): its own exchange, keys and markets (THB-…).
    public static let upbitThailand = regional("upbit-th", host: "th-api.upbit.com")

    /// Bithumb (`ws-api.bithumb.com`): camelCase snapshot flags, books of 1, 5 or 15 levels, order-book
    /// timestamps in microseconds and `"level":1` on ungrouped books, trade dates and times in KST,
    /// `myOrder` v2 names (`order_id`, `side: buy/sell`, `order_price`/`trade_price`, …) asked for
    /// in DEFAULT, no candles on the socket, the private channel at
    /// `/websocket/v2/private`, a `timestamp` claim in tokens, 10 connects a second, and
    /// `LIST_SUBSCRIPTIONS` not verified.
    public static let bithumb = UpbitDialect(
        exchange: "bithumb", webSocketBase: "wss://ws-api.bithumb.com", privatePath: "/websocket/v2/private",
        restBase: "https://api.bithumb.com", snapshotFlags: .camelCase,
        orderbookTimestampUnit: .microseconds, ungroupedOrderbookLevel: 1, dateStringsInKST: true,
        streamsCandles: false, privateSimpleKeysKnown: false, tokenHasTimestampClaim: true,
        connectsPerSecond: 10, supportsSubscriptionList: false, orderbookDepths: [.one, .five, .fifteen])

    /// Every named dialect, for choosing one by its exchange identifier.
    public static let known: [UpbitDialect] = [.upbit, .bithumb, .upbitSingapore, .upbitIndonesia, .upbitThailand]

    /// The named dialect of an exchange identifier (`bithumb`, `upbit-sg`, …), or `nil`.
    public static func named(_ exchange: ExchangeID) -> UpbitDialect? {
        known.first { $0.exchange == exchange }
    }

    /// The same protocol as Upbit Korea on another host. The regional docs spell the snapshot
    /// flags in camelCase, the Korean docs and the wire in snake_case; which one a regional site
    /// honours has not been probed, so requests keep Upbit's verified spelling.
    private static func regional(_ exchange: ExchangeID, host: String) -> UpbitDialect {
        UpbitDialect(exchange: exchange, webSocketBase: "wss://" + host, restBase: "https://" + host)
    }

    /// The prefix of the environment variables holding the venue's keys: `UPBIT`, `BITHUMB`,
    /// `UPBIT_SG`, … (see ``UpbitCredentials/fromEnvironment(_:prefix:)``).
    public var environmentPrefix: String {
        exchange.rawValue.uppercased().replacingOccurrences(of: "-", with: "_")
    }

    /// The keys of the snapshot-only and realtime-only flags.
    var snapshotFlagKeys: (snapshot: String, realtime: String) {
        switch snapshotFlags {
        case .snakeCase: ("is_only_snapshot", "is_only_realtime")
        case .camelCase: ("isOnlySnapshot", "isOnlyRealtime")
        }
    }

    public var description: String { "UpbitDialect(\(exchange), \(webSocketBase))" }
}
