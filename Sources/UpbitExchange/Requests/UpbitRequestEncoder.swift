import Foundation
import MarketStreamCore

/// Encodes the router's consolidated set as one Upbit request: the *entire* set of the channel,
/// a fresh UUID ticket, `is_only_snapshot`/`is_only_realtime` spelled as the venue's dialect
/// spells them (Bithumb: `isOnlySnapshot`/`isOnlyRealtime`), depth suffixes and `level` for books,
/// and a format object.
///
/// Topics that were already live are re-listed with `is_only_realtime` so that they do not
/// re-snapshot; new topics ask for a snapshot then realtime; snapshot-only topics use
/// `is_only_snapshot` — so a snapshot request never ends a live stream.
public struct UpbitRequestEncoder: Sendable {
    /// The response format requested (`DEFAULT` or `SIMPLE`; the decoder reads both).
    public var format: String
    /// The venue whose spelling the requests use.
    public var dialect: UpbitDialect
    private let makeTicket: @Sendable () -> String

    /// Creates an encoder.
    /// - Parameters:
    ///   - format: `DEFAULT` or `SIMPLE`.
    ///   - dialect: The venue (Upbit by default).
    ///   - makeTicket: Produces each request's ticket (a fresh UUID by default).
    public init(
        format: String = "DEFAULT", dialect: UpbitDialect = .upbit,
        makeTicket: @escaping @Sendable () -> String = { UUID().uuidString.lowercased() }
    ) {
        self.format = format
        self.dialect = dialect
        self.makeTicket = makeTicket
    }

    private enum Mode: Int, Comparable {
        case realtimeOnly, snapshotThenRealtime, snapshotOnly
        static func < (a: Mode, b: Mode) -> Bool { a.rawValue < b.rawValue }
    }

    private struct Group: Hashable, Comparable {
        var type: String
        var level: ExactDecimal?
        var mode: Mode

        static func < (a: Group, b: Group) -> Bool {
            (a.type, a.mode, a.level?.description ?? "") < (b.type, b.mode, b.level?.description ?? "")
        }
    }

    /// The request text, or `nil` when the set is empty (Upbit cannot express "nothing").
    /// - Throws: ``MarketStreamError/Code/requestRejected`` for a request Upbit would reject with an
    ///   error frame (which closes the socket), such as a kind on the wrong channel or a `level` on
    ///   a non-KRW market.
    public func encode(_ request: SubscriptionRequest) throws(MarketStreamError) -> String? {
        let isPrivate = request.channel == .private
        var groups: [Group: [String]] = [:]
        func add(_ topic: SubscriptionTopic, _ mode: Mode) throws(MarketStreamError) {
            guard topic.kind.isPrivate == isPrivate, !topic.kind.isCustom else {
                throw MarketStreamError(
                    .requestRejected, "\(topic.kind) does not belong on the \(request.channel) channel",
                    exchange: topic.exchange)
            }
            if topic.kind.orderbookLevel != nil && topic.market.quote != "KRW" {
                throw MarketStreamError(
                    .requestRejected, "orderbook level is only supported on KRW markets, not \(topic.market)",
                    exchange: topic.exchange)
            }
            let mode = topic.kind.isPrivate ? .realtimeOnly : mode
            let group = Group(type: topic.kind.family, level: topic.kind.orderbookLevel, mode: mode)
            var code = topic.market.rawValue
            if let depth = topic.kind.orderbookDepth { code += ".\(depth.rawValue)" }
            if topic.market == .account { code = "" }
            groups[group, default: []].append(code)
        }
        // One book depth per market and level: Upbit streams each listed code separately, so two
        // depths of one market would deliver every update twice; the router cuts the deepest book
        // for the shallower subscribers.
        let books = Self.bookDepths(request.desired.union(request.snapshots))
        var entries: [SubscriptionTopic: (live: Bool, snapshot: Bool)] = [:]
        func merge(_ topic: SubscriptionTopic, live: Bool, snapshot: Bool) {
            let key = Self.requested(topic, books: books)
            let current = entries[key] ?? (false, false)
            entries[key] = (current.live || live, current.snapshot || snapshot)
        }
        for topic in request.desired {
            merge(topic, live: true, snapshot: request.added.contains(topic) || request.snapshots.contains(topic))
        }
        for topic in request.snapshots.subtracting(request.desired) { merge(topic, live: false, snapshot: true) }
        for (topic, wanted) in entries {
            try add(topic, wanted.live ? (wanted.snapshot ? .snapshotThenRealtime : .realtimeOnly) : .snapshotOnly)
        }
        guard !groups.isEmpty else { return nil }
        let flags = dialect.snapshotFlagKeys
        var parts = ["{\"ticket\":\"\(makeTicket())\"}"]
        for group in groups.keys.sorted() {
            var object = "{\"type\":\"\(group.type)\""
            let codes = Set(groups[group]!)
            if group.type == "myAsset" {
                // myAsset takes no codes at all (WRONG_FORMAT otherwise).
            } else if codes.contains("") {
                if group.type != "myOrder" { object += ",\"codes\":[]" }  // unreachable for public types
            } else {
                object += ",\"codes\":[" + codes.sorted().map { "\"\($0)\"" }.joined(separator: ",") + "]"
            }
            switch group.mode {
            case .realtimeOnly where group.type != "myOrder" && group.type != "myAsset":
                object += ",\"\(flags.realtime)\":true"
            case .snapshotOnly: object += ",\"\(flags.snapshot)\":true"
            default: break
            }
            if let level = group.level { object += ",\"level\":\(level)" }
            parts.append(object + "}")
        }
        let format = isPrivate && !dialect.privateSimpleKeysKnown ? "DEFAULT" : format
        parts.append("{\"format\":\"\(format)\"}")
        return "[" + parts.joined(separator: ",") + "]"
    }

    /// The topics Upbit is asked for when the router wants `topics`: each book at the deepest
    /// depth wanted for its market and level (no suffix — the exchange's full default — beats any),
    /// everything else as it is. `LIST_SUBSCRIPTIONS` reports these.
    public static func requestedTopics(for topics: Set<SubscriptionTopic>) -> Set<SubscriptionTopic> {
        let books = bookDepths(topics)
        return Set(topics.map { requested($0, books: books) })
    }

    private struct BookKey: Hashable {
        let market: MarketCode
        let level: ExactDecimal?
    }

    /// The depth to request per book key: `nil` (the full default) if any topic wants it, else the deepest.
    private static func bookDepths(_ topics: Set<SubscriptionTopic>) -> [BookKey: OrderbookDepth?] {
        var depths: [BookKey: OrderbookDepth?] = [:]
        for topic in topics where topic.kind.isOrderbook {
            let key = BookKey(market: topic.market, level: topic.kind.orderbookLevel)
            let depth = topic.kind.orderbookDepth
            switch depths[key] {
            case .none: depths[key] = .some(depth)
            case .some(.none): break
            case .some(.some(let current)):
                guard let depth else {
                    depths[key] = .some(nil)
                    break
                }
                if depth.rawValue > current.rawValue { depths[key] = .some(depth) }
            }
        }
        return depths
    }

    private static func requested(_ topic: SubscriptionTopic, books: [BookKey: OrderbookDepth?]) -> SubscriptionTopic {
        guard topic.kind.isOrderbook,
            let depth = books[BookKey(market: topic.market, level: topic.kind.orderbookLevel)]
        else { return topic }
        return SubscriptionTopic(
            exchange: topic.exchange, kind: .orderbook(depth: depth, level: topic.kind.orderbookLevel),
            market: topic.market)
    }

    /// A `LIST_SUBSCRIPTIONS` request (used by the subscription drift audit).
    public func listSubscriptions() -> String {
        "[{\"ticket\":\"\(makeTicket())\"},{\"method\":\"LIST_SUBSCRIPTIONS\"},{\"format\":\"\(format)\"}]"
    }
}
