import MarketStreamCore
import UpbitWire

/// Turns the bodies of Upbit's REST answers into values and snapshot events: one place for every
/// response shape the client reads, fed by the network and therefore fuzzed (`Fuzz/FuzzRESTResponses`).
///
/// Every shape check fails with ``UpbitRESTError/Reason/malformedResponse`` naming the endpoint;
/// optional fields Upbit may leave out default to zero or an empty text.
struct UpbitRESTDecoder: Sendable {
    /// The exchange the events are stamped with.
    let exchange: ExchangeID

    // MARK: - Bodies

    /// The error an answer outside 2xx stands for, with Upbit's `error.name` and `error.message`
    /// when the body carries them.
    func failure(status: Int, body json: RESTJSON?, retryAfter: Duration?, group: UpbitRateGroup, endpoint: String)
        -> UpbitRESTError
    {
        let name = json?["error"]?["name"]?.text ?? String(status)
        let message = json?["error"]?["message"]?.text ?? "HTTP \(status)"
        switch status {
        case 429: return UpbitRESTError(.rateLimited(group), endpoint: endpoint, message: message)
        case 418: return UpbitRESTError(.blocked(group, retryAfter: retryAfter), endpoint: endpoint, message: message)
        default: return UpbitRESTError(.rejected(status: status, name: name), endpoint: endpoint, message: message)
        }
    }

    /// A JSON array whose every element `make` accepts.
    func list<T>(
        _ json: RESTJSON, endpoint: String, _ make: (RESTJSON) throws(RESTJSON.Malformed) -> T
    ) throws(UpbitRESTError) -> [T] {
        guard let elements = json.elements else {
            throw UpbitRESTError(.malformedResponse, endpoint: endpoint, message: "expected a JSON array")
        }
        var result: [T] = []
        result.reserveCapacity(elements.count)
        for element in elements {
            do {
                result.append(try make(element))
            } catch {
                throw UpbitRESTError(
                    .malformedResponse, endpoint: endpoint, message: "an element lacks required fields")
            }
        }
        return result
    }

    /// One JSON object that `make` accepts.
    func object<T>(
        _ json: RESTJSON, endpoint: String, _ make: (RESTJSON) throws(RESTJSON.Malformed) -> T
    ) throws(UpbitRESTError) -> T {
        do {
            return try make(json)
        } catch {
            throw UpbitRESTError(.malformedResponse, endpoint: endpoint, message: "the object lacks required fields")
        }
    }

    // MARK: - Elements

    /// One entry of `GET /v1/market/all`.
    func market(_ item: RESTJSON) throws(RESTJSON.Malformed) -> UpbitMarket {
        guard let text = item["market"]?.text, let code = try? MarketCode(text) else { throw RESTJSON.Malformed() }
        return UpbitMarket(
            code: code, koreanName: item["korean_name"]?.text ?? "", englishName: item["english_name"]?.text ?? "")
    }

    /// One entry of `GET /v1/ticker` as a snapshot event.
    func ticker(_ item: RESTJSON, receivedAt: UnixTime) throws(RESTJSON.Malformed) -> MarketEvent {
        try snapshot(.ticker, item, receivedAt: receivedAt, payload: .ticker(try Self.ticker(item)))
    }

    /// One entry of `GET /v1/orderbook` as a snapshot event of `orderbook`.
    func orderbook(_ item: RESTJSON, receivedAt: UnixTime) throws(RESTJSON.Malformed) -> MarketEvent {
        var units: [Orderbook.Unit] = []
        for unit in item["orderbook_units"]?.elements ?? [] {
            guard let ask = unit["ask_price"]?.decimal, let bid = unit["bid_price"]?.decimal,
                let askSize = unit["ask_size"]?.decimal, let bidSize = unit["bid_size"]?.decimal
            else { throw RESTJSON.Malformed() }
            units.append(Orderbook.Unit(askPrice: ask, bidPrice: bid, askSize: askSize, bidSize: bidSize))
        }
        let book = Orderbook(
            totalAskSize: item["total_ask_size"]?.decimal ?? .zero,
            totalBidSize: item["total_bid_size"]?.decimal ?? .zero, units: units,
            level: item["level"]?.decimal ?? .zero)
        return try snapshot(.orderbook, item, receivedAt: receivedAt, payload: .orderbook(book))
    }

    /// One entry of `GET /v1/trades/ticks` as a snapshot event.
    func trade(_ item: RESTJSON, receivedAt: UnixTime) throws(RESTJSON.Malformed) -> MarketEvent {
        guard let price = item["trade_price"]?.decimal, let volume = item["trade_volume"]?.decimal,
            let id = item["sequential_id"]?.int64
        else { throw RESTJSON.Malformed() }
        let trade = UpbitTrade(
            tradePrice: price, tradeVolume: volume, side: item["ask_bid"]?.text == "ASK" ? .ask : .bid,
            sequentialID: id, prevClosingPrice: item["prev_closing_price"]?.decimal ?? .zero,
            changePrice: item["change_price"]?.decimal ?? .zero,
            tradeDate: item["trade_date_utc"]?.text ?? "", tradeTime: item["trade_time_utc"]?.text ?? "",
            tradeTimestamp: UnixTime(milliseconds: item["timestamp"]?.int64 ?? 0))
        return try snapshot(.trade, item, receivedAt: receivedAt, payload: .trade(trade.normalised))
    }

    /// One entry of `GET /v1/candles/minutes/{unit}` as a snapshot event.
    func candle(_ item: RESTJSON, interval: CandleInterval, receivedAt: UnixTime) throws(RESTJSON.Malformed)
        -> MarketEvent
    {
        guard let open = item["opening_price"]?.decimal, let high = item["high_price"]?.decimal,
            let low = item["low_price"]?.decimal, let close = item["trade_price"]?.decimal
        else { throw RESTJSON.Malformed() }
        let candle = UpbitCandle(
            startUTC: item["candle_date_time_utc"]?.text ?? "", startKST: item["candle_date_time_kst"]?.text ?? "",
            openingPrice: open, highPrice: high, lowPrice: low, tradePrice: close,
            accTradeVolume: item["candle_acc_trade_volume"]?.decimal ?? .zero,
            accTradePrice: item["candle_acc_trade_price"]?.decimal ?? .zero)
        guard let normalised = candle.normalised else { throw RESTJSON.Malformed() }
        return try snapshot(.candle(interval), item, receivedAt: receivedAt, payload: .candle(normalised))
    }

    private func snapshot(_ kind: DataKind, _ item: RESTJSON, receivedAt: UnixTime, payload: MarketPayload)
        throws(RESTJSON.Malformed) -> MarketEvent
    {
        guard let text = item["market"]?.text, let market = try? MarketCode(text) else { throw RESTJSON.Malformed() }
        let timestamp = item["timestamp"]?.int64 ?? item["trade_timestamp"]?.int64 ?? 0
        return MarketEvent(
            exchange: exchange, kind: kind, market: market, stream: .snapshot,
            timestamp: UnixTime(milliseconds: timestamp), receivedAt: receivedAt, generation: .none, payload: payload)
    }

    private static func ticker(_ item: RESTJSON) throws(RESTJSON.Malformed) -> Ticker {
        guard let price = item["trade_price"]?.decimal else { throw RESTJSON.Malformed() }
        return UpbitTicker(
            tradePrice: price, openingPrice: item["opening_price"]?.decimal ?? .zero,
            highPrice: item["high_price"]?.decimal ?? .zero, lowPrice: item["low_price"]?.decimal ?? .zero,
            prevClosingPrice: item["prev_closing_price"]?.decimal ?? .zero,
            change: item["change"]?.text.flatMap(PriceChange.init(rawValue:)) ?? .even,
            changePrice: item["change_price"]?.decimal ?? .zero,
            signedChangePrice: item["signed_change_price"]?.decimal ?? .zero,
            changeRate: item["change_rate"]?.decimal ?? .zero,
            signedChangeRate: item["signed_change_rate"]?.decimal ?? .zero,
            tradeVolume: item["trade_volume"]?.decimal ?? .zero,
            accTradeVolume: item["acc_trade_volume"]?.decimal ?? .zero,
            accTradeVolume24h: item["acc_trade_volume_24h"]?.decimal ?? .zero,
            accTradePrice: item["acc_trade_price"]?.decimal ?? .zero,
            accTradePrice24h: item["acc_trade_price_24h"]?.decimal ?? .zero,
            tradeDate: item["trade_date"]?.text ?? "", tradeTime: item["trade_time"]?.text ?? "",
            tradeTimestamp: UnixTime(milliseconds: item["trade_timestamp"]?.int64 ?? 0),
            highest52WeekPrice: item["highest_52_week_price"]?.decimal ?? .zero,
            highest52WeekDate: item["highest_52_week_date"]?.text ?? "",
            lowest52WeekPrice: item["lowest_52_week_price"]?.decimal ?? .zero,
            lowest52WeekDate: item["lowest_52_week_date"]?.text ?? ""
        ).normalised
    }
}
