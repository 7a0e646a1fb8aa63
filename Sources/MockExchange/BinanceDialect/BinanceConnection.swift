import BinanceWire
import MarketStreamCore
import NIOCore
import Synchronization

/// One client of the mock's Binance dialect: its streams, changed by `SUBSCRIBE` and
/// `UNSUBSCRIBE`, its message budget, and whether frames are wrapped as combined streams.
final class BinanceConnection: Sendable {
    struct State: Sendable {
        var streams: Set<String> = []
        var combined: Bool
        var limiter: SlidingWindowRateLimiter
    }

    /// What a frame of an event carries beyond the event.
    struct FrameContext: Sendable {
        /// Every stream name that carries the event (worked out once per event, not per connection).
        var names: [String] = []
        /// A ticker's best bid and ask: the book's first row.
        var top: Orderbook.Unit?
        /// A book's update id.
        var updateID: Int64 = 0
        /// A book's change from the book before.
        var change: SequencedOrderbook.Change?
    }

    let id: Int
    let outbound: OutboundQueue
    private let settings: MockBinanceSettings
    private let state: Mutex<State>

    /// Creates a connection.
    /// - Parameter combined: `true` on `/stream` (frames name their stream), `false` on `/ws`
    ///   until the client sets the `combined` property.
    init(id: Int, combined: Bool, settings: MockBinanceSettings, outbound: OutboundQueue) {
        self.id = id
        self.outbound = outbound
        self.settings = settings
        state = Mutex(
            State(
                combined: combined,
                limiter: SlidingWindowRateLimiter(limits: [RateLimit(settings.messagesPerSecond, per: .seconds(1))])))
    }

    /// The connection's streams, sorted.
    var streams: [String] { state.withLock { $0.streams.sorted() } }

    /// Sends `event` on every subscribed stream that carries it.
    /// - Parameters:
    ///   - frames: The event's frames already encoded for other connections, by stream name and
    ///     wrapping: each is encoded once per event, whoever receives it.
    ///   - corrupts: Whether to cut a frame short (the malformed-frames fault), asked per frame sent.
    func offer(
        _ event: MarketEvent, context: FrameContext, frames: inout [String: String], corrupts: () -> Bool = { false }
    ) {
        let (subscribed, combined) = state.withLock { state in
            (context.names.filter { state.streams.contains($0) }, state.combined)
        }
        for name in subscribed {
            let key = combined ? name : "raw:" + name
            if frames[key] == nil, let frame = Self.encode(event, name: name, combined: combined, context: context) {
                frames[key] = String(decoding: frame, as: UTF8.self)
            }
            guard let frame = frames[key] else { continue }
            outbound.yield(.text(corrupts() ? String(frame.prefix(frame.utf8.count / 2)) : frame))
        }
    }

    private static func encode(_ event: MarketEvent, name: String, combined: Bool, context: FrameContext) -> [UInt8]? {
        guard let stream = BinanceStream(name: name) else { return nil }
        if case .diffBook = stream.kind, let change = context.change {
            return BinanceEventEncoder.depthUpdate(
                market: event.market, time: event.timestamp, change: change, combined: combined)
        }
        return BinanceEventEncoder.encode(
            event, stream: stream, combined: combined, top: context.top, updateID: context.updateID)
    }

    /// Every stream name that carries `event` (a book reaches each partial depth, with or without `@100ms`).
    static func streamNames(of event: MarketEvent) -> [String] {
        let symbol = BinanceSymbol.streamSymbol(for: event.market)
        switch event.payload {
        case .ticker: return [symbol + "@ticker"]
        case .trade: return [symbol + "@trade"]
        case .orderbook:
            return [5, 10, 20].flatMap { ["\(symbol)@depth\($0)@100ms", "\(symbol)@depth\($0)"] } + [
                symbol + "@depth@100ms", symbol + "@depth",
            ]
        case .candle:
            guard let interval = event.kind.candleInterval, let name = BinanceStream.klineName(interval) else {
                return []
            }
            return ["\(symbol)@kline_\(name)"]
        default: return []
        }
    }

    /// Handles one text message from the client; past the message budget the connection closes,
    /// as Binance closes it.
    func receive(text: String, at now: Duration, exchange: MockExchangeCore) {
        let admitted = state.withLock { state -> Bool in
            guard state.limiter.earliestPermitted(at: now) <= now else { return false }
            state.limiter.record(at: now)
            return true
        }
        guard admitted else {
            outbound.yield(.close(after: .zero))
            return
        }
        let request: BinanceRequest
        do {
            request = try BinanceRequest.parse(text)
        } catch {
            return reject(error)
        }
        switch request.method {
        case .listSubscriptions:
            outbound.yield(.text(BinanceEventEncoder.result(id: request.id, streams: streams)))
        case .setProperty:
            state.withLock { $0.combined = request.flag ?? $0.combined }
            outbound.yield(.text(BinanceEventEncoder.result(id: request.id, streams: nil)))
        case .getProperty:
            let combined = state.withLock { $0.combined }
            outbound.yield(.text("{\"result\":\(combined),\"id\":\(request.id.map(String.init) ?? "null")}"))
        case .subscribe, .unsubscribe:
            change(request, exchange: exchange)
        }
    }

    private func change(_ request: BinanceRequest, exchange: MockExchangeCore) {
        for name in request.params {
            guard let stream = BinanceStream(name: name), name == name.lowercased(),
                exchange.withSimulator({ $0.contains(stream.market) })
            else {
                return reject(.init(code: 2, id: request.id, message: "Invalid request: unknown stream '\(name)'"))
            }
        }
        let refused = state.withLock { state -> Bool in
            if request.method == .unsubscribe {
                state.streams.subtract(request.params)
                return false
            }
            let union = state.streams.union(request.params)
            guard union.count <= settings.streamsPerConnection else { return true }
            state.streams = union
            return false
        }
        if refused {
            return reject(
                .init(
                    code: 2, id: request.id,
                    message: "Invalid request: a connection carries at most \(settings.streamsPerConnection) streams"))
        }
        exchange.subscriberWaiters.changed()
        outbound.yield(.text(BinanceEventEncoder.result(id: request.id, streams: nil)))
    }

    private func reject(_ rejection: BinanceRequest.Rejection) {
        outbound.yield(
            .text(BinanceEventEncoder.error(code: rejection.code, message: rejection.message, id: rejection.id)))
    }
}
