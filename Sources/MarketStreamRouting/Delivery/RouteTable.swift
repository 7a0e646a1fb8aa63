import Atomics
import MarketStreamCore

/// One channel's routes: which subscriber buffers and handler processors receive each topic's
/// events, and the activity counters that freshness is judged by.
///
/// Immutable. The channel's read path loads the current table without a lock (``ChannelRoutes``)
/// and routes from it; a subscription change builds a new table and publishes it.
final class RouteTable: Sendable {
    /// Where one topic's events go.
    struct Route: Sendable {
        var buffers: [SubscriberBuffer] = []
        var feeds: [DerivedStream] = []
        /// Counts the key's events for freshness, when the key is subscribed upstream.
        var activity: TopicActivityCounter?
    }

    /// A book subscription at one depth, reached from a book event that names no depth.
    struct BookRoute: Sendable {
        let depth: OrderbookDepth?
        let kind: DataKind
        let route: Route
    }

    /// A book event that names no depth: its market and grouping level.
    struct BookKey: Hashable, Sendable {
        let market: MarketCode
        let level: ExactDecimal?
    }

    /// Every depth subscribed for one book key, and the key's activity.
    struct BookRoutes: Sendable {
        var depths: [BookRoute] = []
        var activity: TopicActivityCounter?
    }

    let routes: [SubscriptionTopic: Route]
    /// For book events without a depth (Upbit echoes the code without `.n`): every depth
    /// subscribed for the market and level, found with one lookup.
    let books: [BookKey: BookRoutes]

    static let empty = RouteTable(routes: [:], books: [:])

    private init(routes: [SubscriptionTopic: Route], books: [BookKey: BookRoutes]) {
        self.routes = routes
        self.books = books
    }

    /// Builds a channel's table.
    /// - Parameters:
    ///   - buffers: Subscriber buffers by the topic they receive.
    ///   - feeds: Handler processors by the topic they consume.
    ///   - desired: The channel's upstream set: these keys get activity counters.
    ///   - counters: Counters from the previous table, reused for keys still desired.
    static func build(
        buffers: [SubscriptionTopic: [SubscriberBuffer]], feeds: [SubscriptionTopic: [DerivedStream]],
        desired: Set<SubscriptionTopic>, counters: [FreshnessKey: TopicActivityCounter]
    ) -> (table: RouteTable, counters: [FreshnessKey: TopicActivityCounter]) {
        var routes: [SubscriptionTopic: Route] = [:]
        for (topic, list) in buffers { routes[topic, default: Route()].buffers = list }
        for (topic, list) in feeds { routes[topic, default: Route()].feeds = list }
        var kept: [FreshnessKey: TopicActivityCounter] = [:]
        var books: [BookKey: BookRoutes] = [:]
        for topic in desired {
            let key = FreshnessKey(topic)
            let counter = kept[key] ?? counters[key] ?? TopicActivityCounter(topic: key.eventTopic(of: topic))
            kept[key] = counter
            if topic.kind.isOrderbook {
                books[BookKey(market: topic.market, level: topic.kind.orderbookLevel), default: BookRoutes()]
                    .activity = counter
            } else {
                routes[topic, default: Route()].activity = counter
            }
        }
        for (topic, route) in routes where topic.kind.isOrderbook {
            books[BookKey(market: topic.market, level: topic.kind.orderbookLevel), default: BookRoutes()].depths
                .append(BookRoute(depth: topic.kind.orderbookDepth, kind: topic.kind, route: route))
        }
        // Deepest first: each cut is taken from the full book.
        for key in books.keys {
            books[key]?.depths.sort { ($0.depth?.rawValue ?? .max) > ($1.depth?.rawValue ?? .max) }
        }
        return (RouteTable(routes: routes, books: books), kept)
    }
}

extension RouteTable: AtomicReference {}

/// The key freshness is judged by: an exchange's data family for one market (order books of any
/// depth count as one key, as their events name no depth).
struct FreshnessKey: Hashable, Sendable {
    let exchange: ExchangeID
    let family: String
    let market: MarketCode

    init(_ topic: SubscriptionTopic) {
        (exchange, family, market) = (topic.exchange, topic.kind.family, topic.market)
    }

    /// The topic this key's events carry: a book's without its depth.
    func eventTopic(of topic: SubscriptionTopic) -> SubscriptionTopic {
        guard topic.kind.isOrderbook else { return topic }
        return SubscriptionTopic(
            exchange: exchange, kind: .orderbook(depth: nil, level: topic.kind.orderbookLevel), market: market)
    }
}

/// One channel's current ``RouteTable``, read by the read path with no lock and replaced whole
/// when the channel's subscriptions change.
final class ChannelRoutes: Sendable {
    private let current = ManagedAtomic(RouteTable.empty)

    /// The table to route with now.
    @inline(__always)
    var table: RouteTable { current.load(ordering: .acquiring) }

    /// Publishes a new table; callers serialise (the router builds tables under its lock).
    func publish(_ table: RouteTable) {
        current.store(table, ordering: .releasing)
    }
}
