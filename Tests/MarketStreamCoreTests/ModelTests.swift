import MarketStreamCore
import Testing

@Suite struct MarketCodeTests {
    @Test(arguments: ["KRW-BTC", "BTC-ETH", "USDT-BTC", "KRW-1INCH", "ABCDEFGHIJKLMNO-PQRSTUVWXYZ0123"])
    func acceptsQuoteDashBase(code: String) throws {
        let market = try MarketCode(code)
        #expect(market.rawValue == code)
        #expect("\(market.quote)-\(market.base)" == code)
        // From bytes, as the decoders make them: the same code, its string written in place.
        let fromBytes = Array(code.utf8).withUnsafeBufferPointer { MarketCode(utf8: $0) }
        #expect(fromBytes == market && fromBytes?.rawValue == code)
    }

    @Test(arguments: ["krw-btc", "KRW_BTC", "KRWBTC", "-BTC", "KRW-", "KRW-BTC-X", "", "KRW-BTC ", "KRW-ÄBC"])
    func rejectsAnythingElseWithATypedError(code: String) {
        #expect(Array(code.utf8).withUnsafeBufferPointer { MarketCode(utf8: $0) } == nil, "\(code)")
        #expect {
            try MarketCode(code)
        } throws: { error in
            (error as? MarketStreamError)?.code == .invalidMarketCode
        }
    }

    @Test func parsesCommaSeparatedListsWithoutDuplicates() throws {
        let codes = try MarketCode.parseList("KRW-BTC, KRW-ETH,KRW-BTC")
        #expect(codes.map(\.rawValue) == ["KRW-BTC", "KRW-ETH"])
        #expect(throws: MarketStreamError.self) { try MarketCode.parseList(" , ") }
        #expect(throws: MarketStreamError.self) { try MarketCode.parseList("KRW-BTC,btc") }
    }
}

@Suite struct DataKindTests {
    @Test(arguments: [
        ("ticker", "ticker"), ("trade", "trade"), ("orderbook", "orderbook"), ("orderbook.15", "orderbook"),
        ("candle.1m", "candle.1m"), ("candle.240m", "candle.240m"), ("myOrder", "myOrder"), ("myAsset", "myAsset"),
        ("spread", "spread"),
    ])
    func parsesTheCLIForm(text: String, family: String) throws {
        let kind = try DataKind(parsing: text)
        #expect(kind.description == text)
        #expect(kind.family == family)
    }

    @Test(arguments: ["orderbook.0", "candle.2m", "candle.", "", "9lives", "has space", "ticker!"])
    func rejectsUnknownKinds(text: String) {
        #expect {
            try DataKind(parsing: text)
        } throws: { error in
            (error as? MarketStreamError)?.code == .unknownDataKind
        }
    }

    @Test func customKindsCannotImpersonateBuiltIns() throws {
        #expect(throws: MarketStreamError.self) { try DataKind.custom("ticker") }
        let spread = try DataKind.custom("spread")
        #expect(spread.isCustom && !spread.isPrivate && !spread.isOrderbook)
    }

    @Test func describesItsParameters() throws {
        let book = DataKind.orderbook(depth: .fifteen, level: ExactDecimal(10_000))
        #expect(book.description == "orderbook.15@10000")
        #expect(book.orderbookDepth == .fifteen && book.orderbookLevel == 10_000 && book.isOrderbook)
        #expect(DataKind.orderbook(depth: .five, level: .zero).orderbookLevel == nil)
        #expect(DataKind.candle(.fiveMinutes).candleInterval?.seconds == 300)
        #expect(CandleInterval.allCases.map(\.seconds) == [1, 60, 180, 300, 600, 900, 1_800, 3_600, 14_400])
        #expect(DataKind.myOrder.isPrivate && DataKind.myAsset.isAccountWide && !DataKind.ticker.isPrivate)
        #expect(DataKind.ticker.candleInterval == nil && DataKind.ticker.orderbookDepth == nil)
        #expect(DataKind.publicBuiltIns.count == 3 + CandleInterval.allCases.count)
    }
}

@Suite struct EventTests {
    @Test func eventsShareTheirPayloadAndKeepTheirStamps() throws {
        let market = try MarketCode("KRW-BTC")
        let event = MarketEvent(
            exchange: "upbit", kind: .ticker, market: market, stream: .snapshot,
            timestamp: UnixTime(milliseconds: 1_790_134_742_106), receivedAt: UnixTime(nanoseconds: 5),
            generation: ConnectionGeneration(3), payload: .ticker(Ticker(price: 116_539_000)))
        #expect(event.topic == SubscriptionTopic(exchange: "upbit", kind: .ticker, market: market))
        #expect(event.timestamp.milliseconds == 1_790_134_742_106)
        #expect(event.stream == .snapshot && event.generation.rawValue == 3 && event.receivedAt.nanoseconds == 5)
        #expect(event.description.contains("price=116539000"))
        let derived = event.deriving(kind: try .custom("spread"), payload: .custom(CustomPayload([("spread", 1000)])))
        #expect(derived.generation == event.generation && derived.market == market)
        guard case .custom(let payload) = derived.payload else { Issue.record("not custom"); return }
        #expect(payload["spread"] == 1000 && payload["mid"] == nil)
        #expect(payload.description == "spread=1000")
    }

    @Test func payloadDescriptionsNameTheirKeyFields() {
        let book = Orderbook(
            totalAskSize: 1, totalBidSize: 2, units: [.init(askPrice: 11, bidPrice: 10, askSize: 1, bidSize: 2)])
        #expect(MarketPayload.orderbook(book).description == "levels=1 bid=10 ask=11")
        #expect(
            MarketPayload.trade(Trade(id: 17_901_347_420_510_000, price: 5, size: 2, side: .ask))
                .description.contains("ask"))
        #expect(
            MarketPayload.myAsset(MyAsset(assetUUID: "a", assets: [], assetTimestamp: UnixTime(milliseconds: 1)))
                .description == "assets=0")
        #expect(
            MarketPayload.myOrder(MyOrder(uuid: "u", side: .bid, orderType: "limit", state: "wait")).description
                == "order=u state=wait")
        let candle = Candle(
            start: UnixTime(milliseconds: 1_790_134_740_000), open: 1, high: 2, low: 1, close: 2, volume: 3,
            quoteVolume: 6)
        #expect(MarketPayload.candle(candle).description == "close=2 start=2026-09-23T03:39:00")
        #expect(ConnectionGeneration.none.next == ConnectionGeneration(1))
        #expect(UnixTime(milliseconds: 2) > UnixTime(milliseconds: 1) && UnixTime(nanoseconds: 5_000).microseconds == 5)
    }

    @Test func errorsDescribeThemselvesWithoutSecrets() {
        let error = MarketStreamError(.connectionStalled, "silent", exchange: "upbit")
        #expect(error.description == "upbit: connectionStalled: silent")
        #expect(error.requiresReconnect)
        #expect(!MarketStreamError(.invalidMarketCode, "x").requiresReconnect)
        #expect(MarketStreamError(.timedOut, "late").description == "timedOut: late")
    }
}
