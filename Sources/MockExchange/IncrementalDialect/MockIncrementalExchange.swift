import Foundation
import Logging
import MarketStreamCore
import MarketStreamTransport
import NIOCore
import NIOWebSocket

/// The client side of the mock exchange's incremental dialect: an exchange module implementing
/// ``IncrementalSubscriptionManager``, so the router drives a subscribe/unsubscribe protocol
/// exactly as it drives Upbit's overwrite protocol.
///
/// ```swift
/// let incremental = MockIncrementalExchange(endpoint: endpoint.webSocketBase, logger: logger)
/// let router = MarketDataRouter(managers: [incremental], logger: logger)
/// ```
public struct MockIncrementalExchange: IncrementalSubscriptionManager {
    public let exchange: ExchangeID
    public let channels: [ExchangeChannel]
    /// The WebSocket base, for example `ws://127.0.0.1:8080`; the dialect lives at `/ws`.
    public let endpoint: String
    /// The event loop the module's socket is read, decoded and routed on.
    public let executor: EventLoopTaskExecutor
    private let logger: Logger

    /// Creates the module.
    /// - Parameters:
    ///   - exchange: Its identifier (default `mock-incremental`).
    ///   - endpoint: The mock exchange's WebSocket base.
    ///   - logger: Where connection problems are logged.
    ///   - executor: The event loop for the socket (one of NIO's shared loops by default).
    public init(
        exchange: ExchangeID = "mock-incremental", endpoint: String, logger: Logger,
        executor: EventLoopTaskExecutor = EventLoopTaskExecutor()
    ) {
        self.exchange = exchange
        self.executor = executor
        self.endpoint = endpoint
        self.logger = logger
        channels = [
            ExchangeChannel(
                id: .public, families: Set(DataKind.publicBuiltIns.map(\.family)),
                messageLimits: [RateLimit(5, per: .seconds(1))], keepaliveInterval: .seconds(20),
                silenceTolerance: .seconds(60), staysWarm: true)
        ]
    }

    /// Modelled on Binance: 300 connection attempts per 5 minutes.
    public var connectLimit: RateLimit { RateLimit(300, per: .seconds(300)) }

    public func connect(to channel: ChannelID, handler: any ConnectionHandler) async throws {
        do {
            let url = try WebSocketURL(endpoint + "/ws")
            try await WebSocketTransport.run(
                url: url, configuration: WebSocketTransportConfiguration(), eventLoop: executor.eventLoop,
                handler: handler, logger: logger)
        } catch let error as WebSocketTransportError {
            throw MarketStreamError(error, exchange: exchange)
        }
    }

    public func decode(
        _ frame: MarketStreamCore.WebSocketMessage, context: DecodeContext, into output: inout DecodedFrame
    )
        throws(MarketStreamError)
    {
        guard
            let object = (try? JSONSerialization.jsonObject(with: Data(frame.bytes.readableBytesView)))
                as? [String: Any]
        else {
            throw malformed("not a JSON object")
        }
        if let error = object["error"] as? [String: Any] {
            let message = error["msg"] as? String ?? "unknown error"
            output.controls.append(.exchangeError(MarketStreamError(.exchangeError, message, exchange: exchange)))
            return
        }
        if object.keys.contains("result") {
            guard let id = (object["id"] as? NSNumber)?.intValue else { throw malformed("acknowledgement without id") }
            output.controls.append(.acknowledged(requestID: id))
            return
        }
        guard let stream = object["stream"] as? String, let data = object["data"] as? [String: Any],
            let topic = IncrementalWireFormat.parseStream(stream),
            let milliseconds = (data["E"] as? NSNumber)?.int64Value
        else { throw malformed("unknown frame") }
        let payload = try Self.payload(of: topic.kind, data)
        output.events.append(
            MarketEvent(
                exchange: exchange, kind: topic.kind, market: topic.market,
                stream: data["X"] as? String == "SNAPSHOT" ? .snapshot : .realtime,
                timestamp: UnixTime(milliseconds: milliseconds), receivedAt: context.receivedAt,
                generation: context.generation, payload: payload))
    }

    private static func payload(of kind: DataKind, _ data: [String: Any]) throws(MarketStreamError) -> MarketPayload {
        func decimal(_ key: String, in object: [String: Any] = data) throws(MarketStreamError) -> ExactDecimal {
            guard let text = object[key] as? String, let value = ExactDecimal(text) else {
                throw MarketStreamError(.malformedFrame, "field \(key) is not a decimal string")
            }
            return value
        }
        switch kind.family {
        case "ticker":
            return .ticker(
                Ticker(
                    tradePrice: try decimal("c"), openingPrice: try decimal("o"), highPrice: try decimal("h"),
                    lowPrice: try decimal("l"), accTradeVolume24h: try decimal("v"), accTradePrice24h: try decimal("q"))
            )
        case "trade":
            guard let id = (data["t"] as? NSNumber)?.int64Value, let sellerInitiated = data["m"] as? Bool else {
                throw MarketStreamError(.malformedFrame, "trade without t or m")
            }
            return .trade(
                Trade(
                    tradePrice: try decimal("p"), tradeVolume: try decimal("q"), side: sellerInitiated ? .ask : .bid,
                    sequentialID: id))
        case "orderbook":
            guard let bids = data["b"] as? [[String]], let asks = data["a"] as? [[String]], bids.count == asks.count
            else {
                throw MarketStreamError(.malformedFrame, "book sides missing")
            }
            var units: [Orderbook.Unit] = []
            for (bid, ask) in zip(bids, asks) {
                guard bid.count == 2, ask.count == 2, let bp = ExactDecimal(bid[0]), let bs = ExactDecimal(bid[1]),
                    let ap = ExactDecimal(ask[0]), let asz = ExactDecimal(ask[1])
                else { throw MarketStreamError(.malformedFrame, "bad book level") }
                units.append(Orderbook.Unit(askPrice: ap, bidPrice: bp, askSize: asz, bidSize: bs))
            }
            return .orderbook(
                Orderbook(
                    totalAskSize: units.reduce(.zero) { $0 + $1.askSize },
                    totalBidSize: units.reduce(.zero) { $0 + $1.bidSize }, units: units))
        default:
            guard let k = data["k"] as? [String: Any], let start = k["t"] as? String else {
                throw MarketStreamError(.malformedFrame, "kline without k")
            }
            return .candle(
                Candle(
                    startUTC: start, startKST: start, openingPrice: try decimal("o", in: k),
                    highPrice: try decimal("h", in: k), lowPrice: try decimal("l", in: k),
                    tradePrice: try decimal("c", in: k), accTradeVolume: try decimal("v", in: k), accTradePrice: .zero))
        }
    }

    public func incrementalMessages(
        subscribe: Set<SubscriptionTopic>, unsubscribe: Set<SubscriptionTopic>, snapshots: Set<SubscriptionTopic>,
        channel: ChannelID, firstRequestID: Int
    ) throws(MarketStreamError) -> [OutboundMessage] {
        var messages: [OutboundMessage] = []
        var id = firstRequestID
        for (method, topics) in [
            ("UNSUBSCRIBE", unsubscribe), ("SUBSCRIBE", subscribe), ("SNAPSHOT", snapshots.subtracting(subscribe)),
        ] where !topics.isEmpty {
            for topic in topics where !channels[0].carries(topic.kind) || topic.kind.orderbookLevel != nil {
                throw MarketStreamError(
                    .requestRejected, "the incremental dialect has no \(topic.kind)", exchange: exchange)
            }
            let names = topics.map { IncrementalWireFormat.streamName(kind: $0.kind, market: $0.market) }.sorted()
            let params = names.map { "\"\($0)\"" }.joined(separator: ",")
            messages.append(.text("{\"method\":\"\(method)\",\"params\":[\(params)],\"id\":\(id)}"))
            id += 1
        }
        return messages
    }

    private func malformed(_ reason: String) -> MarketStreamError {
        MarketStreamError(.malformedFrame, reason, exchange: exchange)
    }
}
