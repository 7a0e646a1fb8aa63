import MarketStreamCore
import NIOCore

/// The in-memory exchange's wire format: small, line-oriented and readable in test output.
///
/// Requests (client → exchange), one topic per line after a header:
/// ```
/// REQUEST 3
/// live ticker KRW-BTC
/// live+snapshot ticker KRW-ETH
/// snapshot ticker KRW-XRP
/// ```
/// Incremental requests use `SUBSCRIBE <id>` / `UNSUBSCRIBE <id>` headers and `live` lines.
/// Data frames (exchange → client) are `|`-separated:
/// `E|<snapshot|realtime>|<kind>|<market>|<timestamp ms>|<fields…>`; `S|UP` is a status frame,
/// `ACK|<id>` acknowledges an incremental request, `ERR|<name>|<message>` is an error frame.
public enum InMemoryWireFormat {
    /// How one topic appears in a request.
    public enum Mode: String, Sendable, Hashable {
        /// Realtime only (a live topic that must not re-snapshot).
        case live
        /// Snapshot, then realtime.
        case liveAndSnapshot = "live+snapshot"
        /// Snapshot only; does not become live.
        case snapshot
    }

    /// A parsed request.
    public struct Request: Sendable, Hashable {
        /// `REQUEST`, `SUBSCRIBE` or `UNSUBSCRIBE`.
        public var verb: String
        /// The request number.
        public var id: Int
        /// Topics and how each is asked for.
        public var topics: [SubscriptionTopic: Mode]

        /// Topics that are live after an overwrite request.
        public var liveTopics: Set<SubscriptionTopic> { Set(topics.filter { $0.value != .snapshot }.keys) }
        /// Topics whose snapshot is requested.
        public var snapshotTopics: Set<SubscriptionTopic> { Set(topics.filter { $0.value != .live }.keys) }
    }

    static func encode(verb: String, id: Int, topics: [(SubscriptionTopic, Mode)]) -> String {
        var lines = ["\(verb) \(id)"]
        for (topic, mode) in topics.sorted(by: {
            ($0.0.kind.description, $0.0.market) < ($1.0.kind.description, $1.0.market)
        }) {
            lines.append("\(mode.rawValue) \(topic.kind) \(topic.market)")
        }
        return lines.joined(separator: "\n")
    }

    /// Parses a request; `nil` for anything malformed.
    public static func parseRequest(_ text: String, exchange: ExchangeID) -> Request? {
        var lines = text.split(separator: "\n").makeIterator()
        guard let header = lines.next()?.split(separator: " "), header.count == 2, let id = Int(header[1]) else {
            return nil
        }
        var request = Request(verb: String(header[0]), id: id, topics: [:])
        while let line = lines.next() {
            let parts = line.split(separator: " ")
            guard parts.count == 3, let mode = Mode(rawValue: String(parts[0])),
                let kind = try? DataKind(parsing: String(parts[1])), let market = try? MarketCode(String(parts[2]))
            else { return nil }
            request.topics[SubscriptionTopic(exchange: exchange, kind: kind, market: market)] = mode
        }
        return request
    }

    /// Encodes an event as a data frame.
    static func encode(
        _ payload: MarketPayload, kind: DataKind, market: MarketCode, stream: StreamKind, timestamp: UnixTime
    )
        -> String
    {
        var fields = ["E", stream.rawValue, kind.description, market.rawValue, String(timestamp.milliseconds)]
        switch payload {
        case .ticker(let ticker):
            fields += ["\(ticker.price)", "\(ticker.volume24h)"]
        case .trade(let trade):
            fields += ["\(trade.price)", "\(trade.size)", trade.side.rawValue, "\(trade.id)"]
        case .orderbook(let book):
            for unit in book.units {
                fields += ["\(unit.askPrice)", "\(unit.bidPrice)", "\(unit.askSize)", "\(unit.bidSize)"]
            }
        case .candle(let candle):
            fields += [
                "\(candle.start.milliseconds)", "\(candle.open)", "\(candle.high)", "\(candle.low)",
                "\(candle.close)", "\(candle.volume)",
            ]
        case .myOrder(let order):
            fields += [order.uuid, order.side.rawValue, order.state, order.price.map { "\($0)" } ?? "-"]
        case .myAsset(let asset):
            for balance in asset.assets { fields += [balance.currency, "\(balance.balance)", "\(balance.locked)"] }
        case .custom(let custom):
            for (name, value) in custom.fields { fields += [name, "\(value)"] }
        }
        return fields.joined(separator: "|")
    }

    /// The topic of a ticker or trade event frame (`E|stream|kind|market|…`), from its first
    /// four fields; `nil` for any other frame.
    static func forwardedTopic(_ frame: WebSocketMessage, exchange: ExchangeID) -> SubscriptionTopic? {
        guard let text = String(validating: frame.bytes.readableBytesView, as: UTF8.self) else { return nil }
        let fields = text.split(separator: "|", maxSplits: 4, omittingEmptySubsequences: false)
        guard fields.count == 5, fields[0] == "E", StreamKind(rawValue: String(fields[1])) != nil,
            let kind = try? DataKind(parsing: String(fields[2])), kind == .ticker || kind == .trade,
            let market = try? MarketCode(String(fields[3]))
        else { return nil }
        return SubscriptionTopic(exchange: exchange, kind: kind, market: market)
    }

    /// Decodes one frame.
    static func decode(_ frame: WebSocketMessage, context: DecodeContext, into output: inout DecodedFrame)
        throws(MarketStreamError)
    {
        guard let text = String(validating: frame.bytes.readableBytesView, as: UTF8.self) else {
            throw MarketStreamError(.malformedFrame, "frame is not UTF-8", exchange: context.exchange)
        }
        let fields = text.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
        switch fields.first {
        case "S":
            output.controls.append(.status(fields.dropFirst().joined(separator: "|")))
        case "ACK":
            guard fields.count == 2, let id = Int(fields[1]) else { throw malformed(text, context) }
            output.controls.append(.acknowledged(requestID: id))
        case "ERR":
            guard fields.count == 3 else { throw malformed(text, context) }
            output.controls.append(
                .exchangeError(
                    MarketStreamError(.exchangeError, "\(fields[1]): \(fields[2])", exchange: context.exchange)))
        case "E":
            output.events.append(try decodeEvent(fields, text: text, context: context))
        default:
            throw malformed(text, context)
        }
    }

    private static func decodeEvent(_ fields: [String], text: String, context: DecodeContext) throws(MarketStreamError)
        -> MarketEvent
    {
        guard fields.count >= 5, let stream = StreamKind(rawValue: fields[1]),
            let kind = try? DataKind(parsing: fields[2]), let market = try? MarketCode(fields[3]),
            let milliseconds = Int64(fields[4])
        else { throw malformed(text, context) }
        let values = Array(fields.dropFirst(5))
        func number(_ index: Int) throws(MarketStreamError) -> ExactDecimal {
            guard index < values.count, let value = ExactDecimal(values[index]) else { throw malformed(text, context) }
            return value
        }
        let payload: MarketPayload
        switch kind.family {
        case "ticker":
            payload = .ticker(Ticker(price: try number(0), volume24h: try number(1)))
        case "trade":
            guard values.count == 4, let side = TradeSide(rawValue: values[2]), let sequence = Int64(values[3]) else {
                throw malformed(text, context)
            }
            payload = .trade(
                Trade(id: sequence, price: try number(0), size: try number(1), side: side))
        case "orderbook":
            guard values.count % 4 == 0 else { throw malformed(text, context) }
            var units: [Orderbook.Unit] = []
            var index = 0
            while index < values.count {
                units.append(
                    Orderbook.Unit(
                        askPrice: try number(index), bidPrice: try number(index + 1), askSize: try number(index + 2),
                        bidSize: try number(index + 3)))
                index += 4
            }
            let asks = units.reduce(ExactDecimal.zero) { $0 + $1.askSize }
            let bids = units.reduce(ExactDecimal.zero) { $0 + $1.bidSize }
            payload = .orderbook(Orderbook(totalAskSize: asks, totalBidSize: bids, units: units))
        case "myOrder":
            guard values.count == 4, let side = TradeSide(rawValue: values[1]) else { throw malformed(text, context) }
            payload = .myOrder(
                MyOrder(
                    uuid: values[0], side: side, orderType: "limit", state: values[2], price: ExactDecimal(values[3])))
        case "myAsset":
            guard values.count % 3 == 0 else { throw malformed(text, context) }
            var balances: [MyAsset.Balance] = []
            var index = 0
            while index < values.count {
                balances.append(
                    MyAsset.Balance(
                        currency: values[index], balance: try number(index + 1), locked: try number(index + 2)))
                index += 3
            }
            payload = .myAsset(
                MyAsset(assetUUID: "in-memory", assets: balances, assetTimestamp: UnixTime(milliseconds: milliseconds)))
        default:
            if kind.candleInterval != nil {
                guard values.count == 6, let start = Int64(values[0]) else { throw malformed(text, context) }
                payload = .candle(
                    Candle(
                        start: UnixTime(milliseconds: start), open: try number(1), high: try number(2),
                        low: try number(3), close: try number(4), volume: try number(5), quoteVolume: .zero))
            } else {
                guard values.count % 2 == 0 else { throw malformed(text, context) }
                var pairs: [(name: String, value: ExactDecimal)] = []
                var index = 0
                while index < values.count {
                    pairs.append((values[index], try number(index + 1)))
                    index += 2
                }
                payload = .custom(CustomPayload(pairs))
            }
        }
        return MarketEvent(
            exchange: context.exchange, kind: kind, market: market, stream: stream,
            timestamp: UnixTime(milliseconds: milliseconds), receivedAt: context.receivedAt,
            generation: context.generation, payload: payload)
    }

    private static func malformed(_ text: String, _ context: DecodeContext) -> MarketStreamError {
        MarketStreamError(.malformedFrame, "malformed frame '\(text.prefix(80))'", exchange: context.exchange)
    }
}
