import Foundation
import MarketStreamCore
import MarketStreamRouting
import MockExchange
import Testing
import UpbitExchange
import UpbitWire

/// Frames in Bithumb's shape (`Tests/VenueSamples/bithumb`, see its README).
enum BithumbSamples {
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("VenueSamples/bithumb")

    static func bytes(_ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: directory.appendingPathComponent(name)))
    }
}

/// The payload of a private-channel sample decoded in Bithumb's dialect.
private func privatePayload(_ sample: String) throws -> MarketPayload {
    var output = DecodedFrame()
    let privateContext = DecodeContext(
        exchange: "bithumb", channel: .private, generation: ConnectionGeneration(1), receivedAt: context.receivedAt)
    try UpbitFrameDecoder(dialect: .bithumb).decode(
        try BithumbSamples.bytes(sample), context: privateContext, into: &output)
    return try #require(output.events.first).payload
}

private func decode(_ bytes: [UInt8], dialect: UpbitDialect) throws(MarketStreamError) -> MarketEvent? {
    var output = DecodedFrame()
    try UpbitFrameDecoder(dialect: dialect).decode(bytes, context: context, into: &output)
    return output.events.first
}

@Suite struct BithumbDecoderTests {
    @Test(arguments: ["orderbook.default.json", "orderbook.simple.json"])
    func orderBookTimestampsAreMicrosecondsAndLevelOneIsUngrouped(sample: String) throws {
        let event = try #require(try decode(try BithumbSamples.bytes(sample), dialect: .bithumb))
        guard case .orderbook(let book) = event.payload else { Issue.record("not a book"); return }
        #expect(event.timestamp == UnixTime(nanoseconds: 1_790_134_742_131_456_000))
        #expect(book.units.count == 15 && book.level == .zero, "level 1 is Bithumb's 'not grouped'")
        #expect(book.totalAskSize == ExactDecimal("12.34567891") && book.units[14].bidPrice == 116_525_000)
        // Read as Upbit's milliseconds, the same frame's time is nonsense (1000× too far out).
        let misread = try #require(try decode(try BithumbSamples.bytes(sample), dialect: .upbit))
        #expect(abs(misread.timestamp.milliseconds - event.timestamp.milliseconds) > 86_400_000)
    }

    @Test(arguments: ["trade.default.json", "trade.simple.json"])
    func tradeDatesInKSTBecomeUTC(sample: String) throws {
        let event = try #require(try decode(try BithumbSamples.bytes(sample), dialect: .bithumb))
        guard case .trade(let normalised) = event.payload else { Issue.record("not a trade"); return }
        let trade = try #require(normalised.native(as: UpbitTrade.self))
        #expect(trade.tradeDate == "2026-09-23" && trade.tradeTime == "03:39:02")
        #expect(normalised.id == 17_901_347_420_510_000 && normalised.size == ExactDecimal("0.00214535"))
        #expect(event.timestamp.milliseconds == 1_790_134_742_131)
    }

    @Test func tickerDatesBecomeUTCAndAnEmptyDelistingDateIsNone() throws {
        let event = try #require(try decode(try BithumbSamples.bytes("ticker.default.json"), dialect: .bithumb))
        guard case .ticker(let normalised) = event.payload else { Issue.record("not a ticker"); return }
        let ticker = try #require(normalised.native(as: UpbitTicker.self))
        // 01:10 KST on the 24th is 16:10 UTC on the 23rd.
        #expect(ticker.tradeDate == "20260923" && ticker.tradeTime == "161000")
        #expect(ticker.delistingDate == nil && ticker.accTradePrice24h == ExactDecimal("118900000000.75"))
    }

    @Test func ordersInV2NamesReadIntoTheSameOrderModel() throws {
        guard case .myOrder(let order) = try privatePayload("myOrder.default.json") else {
            Issue.record("not an order")
            return
        }
        #expect(order.uuid == "C0101000000000123456" && order.tradeUUID == "C0101000000000654321")
        #expect(order.side == .bid && order.state == "trade" && order.orderType == "limit")
        #expect(order.price == 116_539_000 && order.volume == ExactDecimal("0.001"), "a trade's own price and size")
        #expect(order.executedFunds == 116_539 && order.paidFee == ExactDecimal("29.13475"))
    }

    @Test func whatTheMockWritesInBithumbsSpellingReadsBack() throws {
        let order = MyOrder(
            uuid: "o-1", side: .bid, orderType: "limit", state: "wait", price: 1_000_000, volume: 1,
            remainingVolume: 1, executedVolume: 0, locked: 1_000_500, executedFunds: 0, timeInForce: "ioc",
            identifier: "mine", orderTimestamp: UnixTime(milliseconds: 1_790_134_742_000))
        let event = MarketEvent(
            exchange: "bithumb", kind: .myOrder, market: MarketCode(validated: "KRW-BTC"), stream: .realtime,
            timestamp: UnixTime(milliseconds: 1_790_134_742_131), receivedAt: context.receivedAt,
            generation: context.generation, payload: .myOrder(order))
        var output = DecodedFrame()
        let bytes = UpbitEventEncoder.encode(event, simple: false, variant: .bithumb)
        #expect(String(decoding: bytes, as: UTF8.self).contains(#""order_id":"o-1","side":"buy""#))
        try UpbitFrameDecoder(dialect: .bithumb).decode(bytes, context: context, into: &output)
        guard case .myOrder(let decoded) = try #require(output.events.first).payload else {
            Issue.record("not an order")
            return
        }
        #expect(decoded == order)

        let asset = MyAsset(
            assetUUID: "a-1", assets: [MyAsset.Balance(currency: "KRW", balance: 8_999_500, locked: 1_000_500)],
            assetTimestamp: UnixTime(milliseconds: 1_790_134_742_000))
        let assetEvent = MarketEvent(
            exchange: "bithumb", kind: .myAsset, market: .account, stream: .realtime,
            timestamp: UnixTime(milliseconds: 1_790_134_742_131), receivedAt: context.receivedAt,
            generation: context.generation, payload: .myAsset(asset))
        let assetBytes = UpbitEventEncoder.encode(assetEvent, simple: false, variant: .bithumb)
        #expect(String(decoding: assetBytes, as: UTF8.self).contains(#""balance":"8999500""#))
        output = DecodedFrame()
        try UpbitFrameDecoder(dialect: .bithumb).decode(assetBytes, context: context, into: &output)
        guard case .myAsset(let decodedAsset) = try #require(output.events.first).payload else {
            Issue.record("not an asset")
            return
        }
        #expect(decodedAsset == asset)
    }

    @Test func balancesWrittenAsStringsAreExact() throws {
        guard case .myAsset(let asset) = try privatePayload("myAsset.default.json") else {
            Issue.record("not an asset")
            return
        }
        #expect(asset.assets.map(\.currency) == ["KRW", "BTC"])
        #expect(asset.assets[0].balance == ExactDecimal("2061832.35"))
        #expect(asset.assets[1].balance == ExactDecimal("0.1234567890123456789012345678"))
    }
}

@Suite struct BithumbRequestTests {
    private let topic = SubscriptionTopic(exchange: "bithumb", kind: .ticker, market: MarketCode(validated: "KRW-BTC"))

    private func request(dialect: UpbitDialect, live: Bool) throws -> String {
        let encoder = UpbitRequestEncoder(dialect: dialect, makeTicket: { "t" })
        let request =
            live
            ? SubscriptionRequest(
                channel: .public, desired: [topic], added: [], removed: [], snapshots: [], sequence: 1)
            : SubscriptionRequest(
                channel: .public, desired: [], added: [], removed: [], snapshots: [topic], sequence: 1)
        return try #require(try encoder.encode(request))
    }

    @Test func snapshotFlagsAreSpelledAsEachVenueReadsThem() throws {
        #expect(
            try request(dialect: .bithumb, live: true)
                == #"[{"ticket":"t"},{"type":"ticker","codes":["KRW-BTC"],"isOnlyRealtime":true},{"format":"DEFAULT"}]"#
        )
        #expect(try request(dialect: .bithumb, live: false).contains(#""isOnlySnapshot":true"#))
        #expect(try request(dialect: .upbit, live: true).contains(#""is_only_realtime":true"#))
        #expect(try request(dialect: .upbit, live: false).contains(#""is_only_snapshot":true"#))
        #expect(try !request(dialect: .bithumb, live: false).contains("is_only"))
    }

    @Test func bithumbsPrivateChannelAsksForDefaultWhoseOrderNamesAreDocumented() throws {
        let orders = SubscriptionTopic(exchange: "bithumb", kind: .myOrder, market: .account)
        let request = SubscriptionRequest(
            channel: .private, desired: [orders], added: [orders], removed: [], snapshots: [], sequence: 1)
        for (dialect, expected) in [(UpbitDialect.bithumb, "DEFAULT"), (.upbit, "SIMPLE")] {
            let encoder = UpbitRequestEncoder(format: "SIMPLE", dialect: dialect, makeTicket: { "t" })
            #expect(try encoder.encode(request)?.hasSuffix(#"{"format":"\#(expected)"}]"#) == true)
        }
    }

    @Test func tokensForBithumbCarryATimestampClaim() throws {
        let credentials = UpbitCredentials(accessKey: "ak", secretKey: "sk")
        func claims(_ signer: UpbitTokenSigner) throws -> [String: Any] {
            let payload = try #require(signer.token().split(separator: ".").dropFirst().first)
            var base64 = payload.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
            base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
            let data = try #require(Data(base64Encoded: base64))
            return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        }
        let bithumb = try claims(
            UpbitTokenSigner(credentials: credentials, timestampClaim: true, now: { 1_790_134_742_000 }))
        #expect((bithumb["timestamp"] as? NSNumber)?.int64Value == 1_790_134_742_000)
        #expect(bithumb["access_key"] as? String == "ak" && bithumb["nonce"] != nil)
        #expect(try claims(UpbitTokenSigner(credentials: credentials))["timestamp"] == nil)
    }
}

@Suite struct VenueDialectTests {
    @Test func eachVenueIsTheSameModuleWithItsOwnHostsLimitsAndChannels() throws {
        let bithumb = try UpbitExchange(dialect: .bithumb, logger: quietLogger)
        #expect(bithumb.exchange == "bithumb" && bithumb.endpoint == "wss://ws-api.bithumb.com")
        #expect(bithumb.connectLimit == RateLimit(10, per: .seconds(1)))
        #expect(bithumb.auditMessage(for: .public) == nil, "LIST_SUBSCRIPTIONS is not verified on Bithumb")
        #expect(bithumb.channel(carrying: .candle(.oneMinute)) == nil && bithumb.channel(carrying: .trade) != nil)
        #expect(bithumb.rest.baseURL == "https://api.bithumb.com")

        let upbit = try UpbitExchange(logger: quietLogger)
        #expect(upbit.exchange == "upbit" && upbit.endpoint == "wss://api.upbit.com")
        #expect(upbit.connectLimit == RateLimit(5, per: .seconds(1)) && upbit.auditMessage(for: .public) != nil)
        #expect(upbit.channel(carrying: .candle(.oneMinute)) != nil)

        for (dialect, id, host) in [
            (UpbitDialect.upbitSingapore, "upbit-sg", "sg-api.upbit.com"),
            (.upbitIndonesia, "upbit-id", "id-api.upbit.com"),
            (.upbitThailand, "upbit-th", "th-api.upbit.com"),
        ] {
            let regional = try UpbitExchange(dialect: dialect, logger: quietLogger)
            #expect(regional.exchange == ExchangeID(rawValue: id) && regional.endpoint == "wss://" + host)
            #expect(regional.rest.baseURL == "https://" + host && UpbitDialect.named(regional.exchange) == dialect)
        }
        #expect(UpbitDialect.bithumb.environmentPrefix == "BITHUMB")
        #expect(UpbitDialect.upbitSingapore.environmentPrefix == "UPBIT_SG")
    }

    @Test func aKindTheVenueDoesNotStreamIsRefusedWhenSubscribing() async throws {
        try await withUpbitAgainstMock(dialect: .bithumb) { router, _, _ in
            #expect {
                _ = try router.subscribe(to: .candle(.oneMinute), markets: [MarketCode("KRW-BTC")])
            } throws: { error in
                (error as? MarketStreamError)?.code == .unsupportedDataKind
            }
        }
    }
}

@Suite(.timeLimit(.minutes(1))) struct BithumbAgainstMockTests {
    @Test(arguments: ["DEFAULT", "SIMPLE"])
    func publicKindsStreamInBithumbsDialect(format: String) async throws {
        try await withUpbitAgainstMock(dialect: .bithumb, format: format) { router, _, _ in
            let btc = try MarketCode("KRW-BTC")
            let trades = try await router.subscribe(to: .trade, markets: [btc]).first(2)
            #expect(trades.count == 2 && trades.allSatisfy { $0.exchange == "bithumb" && $0.kind == .trade })
            let books = try await router.subscribe(to: .orderbook, markets: [btc]).first(2)
            for book in books {
                guard case .orderbook(let levels) = book.payload else { continue }
                #expect(levels.units.count == 15, "Bithumb's books have at most 15 levels")
                #expect(levels.level == .zero)
            }
            let tickers = try await router.subscribe(to: .ticker, markets: [btc]).first(1)
            // Microseconds read as such: the book's time lies within a minute of the trades'.
            let spread = abs(books[0].timestamp.milliseconds - trades[0].timestamp.milliseconds)
            #expect(spread < 60_000, "book \(books[0].timestamp) vs trade \(trades[0].timestamp)")
            if case .trade(let normalised) = trades[0].payload, let trade = normalised.native(as: UpbitTrade.self) {
                let utc = CivilTime(milliseconds: trade.tradeTimestamp.milliseconds)
                #expect(trade.tradeDate == utc.dashedDate && trade.tradeTime == utc.colonTime)
            }
            #expect(tickers.count == 1)
            #expect(router.health().channels.first { $0.channel.channel == .public }?.malformedFrames == 0)
        }
    }

    @Test func theSnapshotFlagsAreHonouredSoALiveKeyIsNotSnapshottedAgain() async throws {
        // A second subscriber of a live topic makes the request re-list it realtime-only
        // (`isOnlyRealtime`); a venue that ignored the flag would answer with a fresh snapshot.
        try await withUpbitAgainstMock(dialect: .bithumb) { router, _, _ in
            let btc = try MarketCode("KRW-BTC")
            let first = try router.subscribe(to: .ticker, markets: [btc])
            _ = try await first.first(1)
            let channel = ChannelKey(exchange: "bithumb", channel: .public)
            let eth = try router.subscribe(to: .ticker, markets: [MarketCode("KRW-ETH")])
            _ = try await eth.first(1)
            await router.waitForUpstreamSync(on: channel)
            let next = try await first.first(5)
            #expect(next.allSatisfy { $0.stream == .realtime }, "no second snapshot of KRW-BTC")
            withExtendedLifetime(eth) {}
        }
    }

    @Test func restCallsFindTheVenuesRESTBaseBesideItsWebSocketBase() async throws {
        try await withUpbitAgainstMock(dialect: .bithumb) { _, _, bithumb in
            #expect(bithumb.rest.baseURL.hasSuffix("/bithumb"))
            let accounts = try await bithumb.rest.accounts()
            #expect(accounts.contains { $0.currency == "KRW" })
            let tickers = try await bithumb.rest.tickers([MarketCode("KRW-BTC")])
            #expect(tickers.count == 1)
        }
    }

    @Test func aPaperOrderArrivesOnThePrivateV2ChannelInV2Names() async throws {
        try await withUpbitAgainstMock(dialect: .bithumb, format: "SIMPLE") { router, _, bithumb in
            let orders = try router.subscribe(to: .myOrder, markets: [])
            let assets = try router.subscribe(to: .myAsset, markets: [])
            await router.waitForUpstreamSync(on: ChannelKey(exchange: bithumb.exchange, channel: .private))
            let btc = try MarketCode("KRW-BTC")
            let placed = try await bithumb.rest.placeOrder(.limit(btc, .bid, price: 1_000_000, volume: 1))
            let mine = try await orders.first(1) {
                if case .myOrder(let order) = $0.payload { return order.uuid == placed.uuid }
                return false
            }
            guard case .myOrder(let order) = mine.first?.payload else {
                Issue.record("no order event")
                return
            }
            #expect(order.state == "wait" && order.side == .bid && order.price == 1_000_000 && order.volume == 1)
            #expect(mine.first?.stream == .realtime, "streamed, not polled")
            let balance = try await assets.first(1)
            if case .myAsset(let asset) = balance.first?.payload {
                #expect(asset.assets.first { $0.currency == "KRW" }?.locked == ExactDecimal(1_000_500))
            }
        }
    }

    @Test func thePrivateChannelIsV2AndTakesATokenWithATimestamp() async throws {
        try await withUpbitAgainstMock(dialect: .bithumb) { router, _, _ in
            let assets = try router.subscribe(to: .myAsset, markets: [])
            let channel = ChannelKey(exchange: "bithumb", channel: .private)
            await router.waitForUpstreamSync(on: channel)
            #expect(router.upstreamTopics(on: channel).map(\.kind) == [.myAsset])
            #expect(router.health().channels.first { $0.channel == channel }?.state == .streaming)
            withExtendedLifetime(assets) {}
        }
    }

    @Test func oneRouterWatchesUpbitAndBithumbAtOnce() async throws {
        let server = MockExchangeServer(
            configuration: MockExchangeConfiguration(updatesPerSecond: 100), logger: quietLogger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await server.run() }
            defer { group.cancelAll() }
            let base = try await server.endpoint().webSocketBase
            let upbit = try UpbitExchange(configuration: .init(baseURL: base), logger: quietLogger)
            let bithumb = try UpbitExchange(
                dialect: .bithumb, configuration: .init(baseURL: base + "/bithumb"), logger: quietLogger)
            let router = MarketDataRouter(
                managers: [upbit, bithumb], configuration: RouterConfiguration(debounce: .milliseconds(20)),
                logger: quietLogger)
            group.addTask { try await router.run() }
            let btc = try MarketCode("KRW-BTC")
            let onUpbit = try router.subscribe(to: .orderbook, markets: [btc], on: "upbit")
            let onBithumb = try router.subscribe(to: .orderbook, markets: [btc], on: "bithumb")
            let upbitBooks = try await onUpbit.first(1)
            let bithumbBooks = try await onBithumb.first(1)
            #expect(upbitBooks.first?.exchange == "upbit" && bithumbBooks.first?.exchange == "bithumb")
            if case .orderbook(let book) = upbitBooks.first?.payload { #expect(book.units.count == 30) }
            if case .orderbook(let book) = bithumbBooks.first?.payload { #expect(book.units.count == 15) }
            #expect(router.health().channels.filter { $0.channel.channel == .public }.count == 2)
        }
    }
}
