/// One normalised piece of market or account data, stamped by the router.
///
/// Events are immutable and share one heap allocation, so delivering an event to many
/// subscribers copies a single reference, never the payload.
public struct MarketEvent: Sendable, CustomStringConvertible {
    @usableFromInline
    final class Storage: Sendable {
        let exchange: ExchangeID
        let kind: DataKind
        let market: MarketCode
        let stream: StreamKind
        let timestamp: UnixTime
        let receivedAt: UnixTime
        let generation: ConnectionGeneration
        let payload: MarketPayload

        init(
            exchange: ExchangeID, kind: DataKind, market: MarketCode, stream: StreamKind,
            timestamp: UnixTime, receivedAt: UnixTime, generation: ConnectionGeneration, payload: MarketPayload
        ) {
            self.exchange = exchange
            self.kind = kind
            self.market = market
            self.stream = stream
            self.timestamp = timestamp
            self.receivedAt = receivedAt
            self.generation = generation
            self.payload = payload
        }
    }

    @usableFromInline let storage: Storage

    /// Creates an event.
    /// - Parameters:
    ///   - exchange: The exchange it came from.
    ///   - kind: Its data kind.
    ///   - market: Its market (``MarketCode/account`` for account-wide kinds).
    ///   - stream: Snapshot or realtime.
    ///   - timestamp: The exchange's timestamp.
    ///   - receivedAt: When MarketStream received the frame.
    ///   - generation: The generation of the connection that received it.
    ///   - payload: The typed data.
    public init(
        exchange: ExchangeID, kind: DataKind, market: MarketCode, stream: StreamKind,
        timestamp: UnixTime, receivedAt: UnixTime, generation: ConnectionGeneration, payload: MarketPayload
    ) {
        storage = Storage(
            exchange: exchange, kind: kind, market: market, stream: stream, timestamp: timestamp,
            receivedAt: receivedAt, generation: generation, payload: payload
        )
    }

    /// The exchange the event came from.
    public var exchange: ExchangeID { storage.exchange }
    /// The event's data kind.
    public var kind: DataKind { storage.kind }
    /// The event's market.
    public var market: MarketCode { storage.market }
    /// Snapshot or realtime.
    public var stream: StreamKind { storage.stream }
    /// The exchange's timestamp.
    public var timestamp: UnixTime { storage.timestamp }
    /// When MarketStream received the frame that carried the event.
    public var receivedAt: UnixTime { storage.receivedAt }
    /// The generation of the connection that received the event.
    public var generation: ConnectionGeneration { storage.generation }
    /// The typed data.
    public var payload: MarketPayload { storage.payload }

    /// Orders the events of one topic: the trade's sequential id, the book's update id where the
    /// venue numbers its books, otherwise the exchange's timestamp in nanoseconds. When a planned
    /// rotation hands a topic from one connection to the next, the router delivers from the new
    /// connection only events ordered after the last one delivered from the old.
    public var orderingKey: Int64 {
        switch storage.payload {
        case .trade(let trade): trade.id
        case .orderbook(let book): book.sequence ?? storage.timestamp.nanoseconds
        default: storage.timestamp.nanoseconds
        }
    }

    /// Whether no two events of a topic share an ``orderingKey``: a trade's id and a book's update
    /// id name one event each, while two events stamped in the same millisecond share their
    /// timestamp and are still two events.
    public var orderingKeyIsUnique: Bool {
        switch storage.payload {
        case .trade: true
        case .orderbook(let book): book.sequence != nil
        default: false
        }
    }

    /// The upstream topic the event belongs to.
    public var topic: SubscriptionTopic { SubscriptionTopic(exchange: exchange, kind: kind, market: market) }

    /// A copy with a different kind and payload, keeping the stamps (used by data-type handlers).
    public func deriving(kind: DataKind, payload: MarketPayload) -> MarketEvent {
        MarketEvent(
            exchange: exchange, kind: kind, market: market, stream: stream, timestamp: timestamp,
            receivedAt: receivedAt, generation: generation, payload: payload
        )
    }

    public var description: String {
        "\(exchange) \(kind) \(market) \(stream.rawValue) gen=\(generation) \(payload)"
    }
}

/// The typed data of a ``MarketEvent``.
public enum MarketPayload: Sendable, CustomStringConvertible {
    case ticker(Ticker)
    case trade(Trade)
    case orderbook(Orderbook)
    case candle(Candle)
    case myOrder(MyOrder)
    case myAsset(MyAsset)
    /// Data from a data-type handler: named exact fields in a fixed order.
    case custom(CustomPayload)

    public var description: String {
        switch self {
        case .ticker(let t): "price=\(t.price)"
        case .trade(let t): "price=\(t.price) size=\(t.size) \(t.side)"
        case .orderbook(let o):
            "levels=\(o.units.count) bid=\(o.units.first?.bidPrice.description ?? "-") ask=\(o.units.first?.askPrice.description ?? "-")"
        case .candle(let c): "close=\(c.close) start=\(c.startUTC)"
        case .myOrder(let o): "order=\(o.uuid) state=\(o.state)"
        case .myAsset(let a): "assets=\(a.assets.count)"
        case .custom(let c): c.description
        }
    }
}
