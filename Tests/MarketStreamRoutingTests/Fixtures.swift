import MarketStreamCore

@testable import MarketStreamRouting

let btc = MarketCode(validated: "KRW-BTC")
let eth = MarketCode(validated: "KRW-ETH")
let xrp = MarketCode(validated: "KRW-XRP")

/// `count` distinct market codes (`KRW-C0`, `KRW-C1`, …).
func markets(_ count: Int) -> [MarketCode] {
    (0..<count).map { MarketCode(validated: "KRW-C\($0)") }
}

func topic(_ market: MarketCode, _ kind: DataKind = .ticker, exchange: ExchangeID = "memory") -> SubscriptionTopic {
    SubscriptionTopic(exchange: exchange, kind: kind, market: market)
}

let publicChannel = ChannelKey(exchange: "memory", channel: .public)
let privateChannel = ChannelKey(exchange: "memory", channel: .private)

func tickerEvent(
    _ market: MarketCode, price: ExactDecimal = 1, generation: UInt64 = 1, receivedAtMilliseconds: Int64 = 0,
    stream: StreamKind = .realtime
) -> MarketEvent {
    MarketEvent(
        exchange: "memory", kind: .ticker, market: market, stream: stream, timestamp: UnixTime(milliseconds: 0),
        receivedAt: UnixTime(milliseconds: receivedAtMilliseconds), generation: ConnectionGeneration(generation),
        payload: .ticker(Ticker(price: price)))
}

extension FeedEvent {
    var price: ExactDecimal? {
        guard case .market(let event) = self, case .ticker(let ticker) = event.payload else { return nil }
        return ticker.price
    }
}
