import BinanceExchange
import MarketStreamCore
import Testing

@Suite struct BinanceSubscriptionMessageTests {
    let binance = try! BinanceExchange(logger: quietLogger)
    let btc = MarketCode(validated: "USDT-BTC")
    let eth = MarketCode(validated: "USDT-ETH")

    func topic(_ kind: DataKind, _ market: MarketCode) -> SubscriptionTopic {
        SubscriptionTopic(exchange: "binance", kind: kind, market: market)
    }

    func texts(desired: Set<SubscriptionTopic>, added: Set<SubscriptionTopic>, removed: Set<SubscriptionTopic>)
        throws -> [String]
    {
        let request = SubscriptionRequest(
            channel: .public, desired: desired, added: added, removed: removed, snapshots: [], sequence: 5)
        return try binance.messages(for: request).map(\.description)
    }

    @Test func changesAreSentAsUnsubscribeThenSubscribeWithIds() throws {
        let messages = try texts(
            desired: [topic(.trade, btc), topic(.ticker, eth)], added: [topic(.ticker, eth)],
            removed: [topic(.trade, eth)])
        #expect(
            messages == [
                #"{"method":"UNSUBSCRIBE","params":["ethusdt@trade"],"id":5}"#,
                #"{"method":"SUBSCRIBE","params":["ethusdt@ticker"],"id":6}"#,
            ])
    }

    @Test func everyBookDepthOfAMarketReadsOneStreamThatStaysWhileAnyDepthIsWanted() throws {
        let five = topic(.orderbook(depth: .five), btc)
        let twenty = topic(.orderbook(depth: .twenty), btc)
        #expect(
            try texts(desired: [five], added: [five], removed: [])
                == [#"{"method":"SUBSCRIBE","params":["btcusdt@depth20@100ms"],"id":5}"#])
        #expect(try texts(desired: [five, twenty], added: [twenty], removed: []).isEmpty)
        #expect(try texts(desired: [twenty], added: [], removed: [five]).isEmpty)
        #expect(
            try texts(desired: [], added: [], removed: [twenty])
                == [#"{"method":"UNSUBSCRIBE","params":["btcusdt@depth20@100ms"],"id":5}"#])
    }

    @Test func theVenueDeclaresWhatItServes() throws {
        let channel = try #require(binance.channels.first)
        #expect(binance.validate(topic(.orderbook(depth: .ten), btc), on: channel) == nil)
        #expect(binance.validate(topic(.orderbook(depth: .fifteen), btc), on: channel)?.code == .unsupportedDataKind)
        #expect(
            binance.validate(topic(.orderbook(depth: .five, level: 10), btc), on: channel)?.code
                == .unsupportedDataKind)
        #expect(binance.validate(topic(.candle(.tenMinutes), btc), on: channel)?.code == .unsupportedDataKind)
        #expect(!channel.carries(.myOrder) && !channel.snapshotsOverSocket)
        #expect(channel.messageLimits == [RateLimit(4, per: .seconds(1))])
        #expect(binance.connectLimit == RateLimit(300, per: .seconds(300)))
        #expect(binance.auditMessage(for: .public)?.description == #"{"method":"LIST_SUBSCRIPTIONS","id":0}"#)
    }

    @Test func aBadEndpointIsATypedError() {
        #expect(throws: MarketStreamError.self) {
            _ = try BinanceExchange(configuration: .init(baseURL: "http://example.com"), logger: quietLogger)
        }
    }
}
