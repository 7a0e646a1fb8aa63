import Atomics
import HashTreeCollections
import MarketStreamCore
import Synchronization

/// One channel's routes: which subscriber buffers and handler processors receive each topic's
/// events, and the activity counters that freshness is judged by.
///
/// Immutable. The channel's read path loads the current table without a lock (``ChannelRoutes``)
/// and routes from it; a subscription change builds a new table and publishes it.
final class RouteTable: Sendable {
    /// Where one topic's events go. A class, built once with its table and never changed: the
    /// read path's lookup takes one reference rather than one per field.
    final class Route: Sendable {
        /// Subscribers with buffers of their own.
        let buffers: [SubscriberBuffer]
        /// The log every single-topic drop-oldest subscriber of the topic reads (one append for all).
        let log: BroadcastLog?
        let feeds: [DerivedStream]
        /// Counts the key's events for freshness, when the key is subscribed upstream.
        let activity: TopicActivityCounter?

        /// Whether any subscriber receives the topic's events.
        var hasSubscribers: Bool { log != nil || !buffers.isEmpty }

        /// Whether nothing is routed and nothing counted: no entry is kept for such a topic.
        var isEmpty: Bool { !hasSubscribers && feeds.isEmpty && activity == nil }

        init(subscribers: [SubscriberBuffer] = [], feeds: [DerivedStream] = [], activity: TopicActivityCounter? = nil) {
            self.buffers = subscribers.filter { $0.log == nil }
            self.log = subscribers.first { $0.log != nil }?.log
            self.feeds = feeds
            self.activity = activity
        }

        /// Hands `event` to every subscriber of the topic: once to the log, once to each own buffer.
        /// Parked subscribers are noted in `wakes`.
        @inline(__always)
        func deliver(_ event: FeedEvent, wakes: inout DeferredWakes) {
            log?.append(event, wakes: &wakes)
            for buffer in buffers { buffer.deliver(event, wakes: &wakes) }
        }
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
        /// Every depth asked for under the key while the entry lives (the venue declares which
        /// depths exist, so the table learns them from the topics it sees).
        var known: Set<OrderbookDepth?> = []
    }

    /// Routes by topic. A persistent hash trie: an update copies only the path to the changed
    /// entry, so a new table costs the changed topics, not the channel's whole set.
    let routes: TreeDictionary<SubscriptionTopic, Route>
    /// For book events without a depth (Upbit echoes the code without `.n`): every depth
    /// subscribed for the market and level, found with one lookup.
    let books: TreeDictionary<BookKey, BookRoutes>

    static let empty = RouteTable(routes: [:], books: [:])

    private init(routes: TreeDictionary<SubscriptionTopic, Route>, books: TreeDictionary<BookKey, BookRoutes>) {
        self.routes = routes
        self.books = books
    }

    /// This table with the routes of `changed` topics recomputed from the router's state; every
    /// other entry is carried over as it is, so a subscription change costs the topics it touches.
    /// - Parameters:
    ///   - changed: Topics whose subscribers, processors or upstream membership changed.
    ///   - buffers: The channel's subscriber buffers by the topic they receive.
    ///   - feeds: The channel's handler processors by the topic they consume.
    ///   - isDesired: Whether a topic is in the channel's upstream set (such keys count activity).
    ///   - counters: Activity counters by key, created here for keys that become desired.
    func updating(
        _ changed: some Sequence<SubscriptionTopic>, buffers: [SubscriptionTopic: [SubscriberBuffer]],
        feeds: [SubscriptionTopic: [DerivedStream]], isDesired: (SubscriptionTopic) -> Bool,
        counters: inout [FreshnessKey: TopicActivityCounter]
    ) -> RouteTable {
        var routes = self.routes
        var books = self.books
        var changedBooks: [BookKey: (exchange: ExchangeID, depths: Set<OrderbookDepth?>)] = [:]
        func counter(_ topic: SubscriptionTopic) -> TopicActivityCounter {
            let key = FreshnessKey(topic)
            if let counter = counters[key] { return counter }
            let counter = TopicActivityCounter(topic: key.eventTopic(of: topic))
            counters[key] = counter
            return counter
        }
        for topic in changed {
            var activity: TopicActivityCounter?
            if topic.kind.isOrderbook {
                let key = BookKey(market: topic.market, level: topic.kind.orderbookLevel)
                changedBooks[key, default: (topic.exchange, books[key]?.known ?? [])].depths.insert(
                    topic.kind.orderbookDepth)
            } else if isDesired(topic) {
                activity = counter(topic)
            }
            let route = Route(subscribers: buffers[topic] ?? [], feeds: feeds[topic] ?? [], activity: activity)
            routes[topic] = route.isEmpty ? nil : route
        }
        // A book key's depths, deepest first: each cut is taken from the full book.
        for (key, (exchange, known)) in changedBooks {
            var entry = BookRoutes()
            let deepestFirst = known.sorted { ($0?.rawValue ?? .max) > ($1?.rawValue ?? .max) }
            for depth in deepestFirst {
                let topic = SubscriptionTopic(
                    exchange: exchange, kind: .orderbook(depth: depth, level: key.level), market: key.market)
                if isDesired(topic) { entry.activity = counter(topic) }
                if let route = routes[topic] {
                    entry.depths.append(BookRoute(depth: depth, kind: topic.kind, route: route))
                }
                if isDesired(topic) || routes[topic] != nil { entry.known.insert(depth) }
            }
            books[key] = entry.depths.isEmpty && entry.activity == nil ? nil : entry
        }
        return RouteTable(routes: routes, books: books)
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
