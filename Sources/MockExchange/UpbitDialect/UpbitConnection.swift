import Logging
import MarketStreamCore
import NIOCore
import Synchronization
import UpbitWire

/// What a connection's writer sends next.
enum OutgoingFrame: Sendable {
    /// A binary data frame (Upbit sends data as binary UTF-8 JSON).
    case binary(ByteBuffer)
    /// A text frame.
    case text(String)
    /// Close cleanly after a delay (after an error frame).
    case close(after: Duration)
    /// Drop the TCP connection without a close frame.
    case drop
}

/// One client of the Upbit dialect (or of Bithumb's clone of it): its subscription set (replaced
/// by every request), format, message budget and keepalive state.
final class UpbitConnection: Sendable {
    private struct State: Sendable {
        /// The live set, in request order (what `LIST_SUBSCRIPTIONS` reports).
        var entries: [UpbitSubscriptionEntry] = [] {
            didSet { routes = UpbitSubscriptionRoutes(entries) }
        }
        /// The live set indexed for publishing.
        var routes = UpbitSubscriptionRoutes([])
        var format: UpbitFormat = .default
        var ticket: String?
        var limiter: SlidingWindowRateLimiter
        var pinging = false
        var closing = false
        /// Sends no data any more, but stays open and answers pings (the "frozen connection" fault).
        var frozen = false
    }

    let id: Int
    let isPrivate: Bool
    /// Upbit's spelling or Bithumb's, in requests and frames.
    let variant: UpbitWireVariant
    let outbound: OutboundQueue
    private let state: Mutex<State>

    init(
        id: Int, isPrivate: Bool, variant: UpbitWireVariant = .upbit, messageLimits: [RateLimit],
        outbound: OutboundQueue
    ) {
        self.id = id
        self.isPrivate = isPrivate
        self.variant = variant
        self.outbound = outbound
        state = Mutex(State(limiter: SlidingWindowRateLimiter(limits: messageLimits)))
    }

    /// Whether the client sent a text `PING` (the server then sends `{"status":"UP"}` periodically).
    var isPinging: Bool { state.withLock { $0.pinging } }

    /// The entries currently live.
    var entries: [UpbitSubscriptionEntry] { state.withLock { $0.entries } }

    /// Whether the connection was frozen (see ``freeze()``).
    var isFrozen: Bool { state.withLock { $0.frozen } }

    /// From now on sends no data frame (neither the stream nor subscription snapshots) while the
    /// socket stays open and answers pings, as a connection an exchange stopped serving does.
    func freeze() { state.withLock { $0.frozen = true } }

    /// Offers a published event; sends it if subscribed.
    /// - Returns: How many frames were queued.
    @discardableResult
    /// - Parameter corrupts: Asked per frame this connection sends; `true` sends a malformed
    ///   frame in its place (the `malformedFraction` fault).
    func offer(_ cache: inout EncodeCache, corrupts: (() -> Bool)? = nil) -> Int {
        state.withLock { state in
            guard !state.closing, !state.frozen else { return 0 }
            var queued = 0
            state.routes.forEachEntry(family: cache.family, market: cache.event.market) { entry in
                // Queuing never blocks, so it may happen under the lock; it keeps frames in order too.
                if let corrupts, corrupts() {
                    outbound.yield(.binary(ByteBuffer(string: "{\"type\":\"\(cache.family)\",\"code\":")))
                } else {
                    outbound.yield(
                        .binary(
                            cache.frame(
                                format: state.format, depth: entry.depth, level: entry.level, variant: variant)))
                }
                queued += 1
            }
            return queued
        }
    }

    /// Handles one text message from the client.
    func receive(text: String, at now: Duration, exchange: MockExchangeCore) {
        if text == "PING" {
            state.withLock { $0.pinging = true }
            return
        }
        let admitted = state.withLock { state -> Bool in
            let permitted = state.limiter.earliestPermitted(at: now)
            guard permitted <= now else { return false }
            state.limiter.record(at: now)
            return true
        }
        guard admitted else { return fail(.tooManyRequests, exchange: exchange) }
        let request: UpbitRequest
        do {
            request = try UpbitRequest.parse(text, isPrivate: isPrivate, variant: variant)
        } catch {
            return fail(error, exchange: exchange)
        }
        switch request.body {
        case .listSubscriptions:
            let (entries, format, ticket) = state.withLock { state in
                if let format = request.format { state.format = format }
                return (state.entries, state.format, state.ticket ?? request.ticket)
            }
            outbound.yield(.binary(ByteBuffer(bytes: Self.listReply(entries: entries, ticket: ticket, format: format))))
        case .subscribe(let types):
            subscribe(types, request: request, exchange: exchange)
        }
    }

    private func subscribe(_ types: [UpbitTypeRequest], request: UpbitRequest, exchange: MockExchangeCore) {
        var live: [UpbitSubscriptionEntry] = []
        var snapshots: [UpbitSubscriptionEntry] = []
        for type in types {
            var parsed: [UpbitSubscriptionEntry] = []
            if type.type == "myAsset" || (type.type == "myOrder" && type.codes.isEmpty) {
                parsed = [UpbitSubscriptionEntry(type: type.type, market: nil)]
            } else {
                parsed = exchange.withSimulator { simulator in
                    type.codes.compactMap {
                        UpbitSubscriptionEntry.parse(code: $0, type: type.type, level: type.level, simulator: simulator)
                    }
                }
            }
            if !type.isOnlySnapshot { live += parsed }
            if !type.isOnlyRealtime && !UpbitRequest.privateTypes.contains(type.type) { snapshots += parsed }
        }
        let (format, frozen) = state.withLock { state in
            // Every request replaces the whole set.
            state.entries = live
            state.ticket = request.ticket
            if let format = request.format { state.format = format }
            return (state.format, state.frozen)
        }
        // A frozen connection, or a stalled exchange, sends no data at all: snapshots neither.
        let sendsData = !frozen && !exchange.faults.stalled
        for entry in snapshots where sendsData {
            guard let market = entry.market,
                let kind = try? DataKind(parsing: entry.type),
                let event = exchange.snapshot(of: kind, market: market)
            else { continue }
            var cache = EncodeCache(event: event)
            outbound.yield(
                .binary(cache.frame(format: format, depth: entry.depth, level: entry.level, variant: variant)))
        }
        // Waiters hear of the subscription once its snapshots are queued: what they publish next
        // follows them, rather than a snapshot of it following its live event.
        exchange.subscriberWaiters.changed()
    }

    /// Removes a random part of the set (the "forgotten subscriptions" fault).
    func forget(fraction: Double, random: inout SeededRandom) {
        state.withLock { state in
            state.entries.removeAll { _ in Double(random.next() % 1_000) / 1_000 < fraction }
        }
    }

    /// Sends an error frame, then closes like Upbit (about 150 ms later).
    func fail(_ error: UpbitErrorFrame, exchange: MockExchangeCore) {
        let first = state.withLock { state in
            defer { state.closing = true }
            return !state.closing
        }
        guard first else { return }
        outbound.yield(.binary(ByteBuffer(string: error.json)))
        outbound.yield(.close(after: exchange.configuration.closeDelayAfterError))
    }

    static func listReply(entries: [UpbitSubscriptionEntry], ticket: String, format: UpbitFormat) -> [UInt8] {
        let simple = format.isSimple
        var grouped: [(type: String, codes: [String], level: ExactDecimal?)] = []
        for entry in entries {
            if let index = grouped.firstIndex(where: { $0.type == entry.type && $0.level == entry.level }) {
                if let code = entry.listedCode { grouped[index].codes.append(code) }
            } else {
                grouped.append((entry.type, entry.listedCode.map { [$0] } ?? [], entry.level))
            }
        }
        var w = JSONWriter()
        w.beginObject()
        w.key(simple ? "mthd" : "method")
        w.string("LIST_SUBSCRIPTIONS")
        w.key(simple ? "rslt" : "result")
        w.beginArray()
        for group in grouped {
            w.beginObject()
            w.key(simple ? "ty" : "type")
            w.string(group.type)
            if !group.codes.isEmpty || group.type != "myAsset" {
                w.key(simple ? "cds" : "codes")
                w.beginArray()
                for code in group.codes { w.string(code) }
                w.endArray()
            }
            if group.type == "orderbook" {
                w.key(simple ? "lv" : "level")
                w.number(group.level ?? .zero)
            }
            w.endObject()
        }
        w.endArray()
        w.key(simple ? "tckt" : "ticket")
        w.string(ticket)
        w.endObject()
        return w.bytes
    }
}
