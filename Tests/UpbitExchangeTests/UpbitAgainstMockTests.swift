import Logging
import MarketStreamCore
import MarketStreamRouting
import MockExchange
import Testing
import UpbitExchange

let quietLogger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
let keys = UpbitCredentials(accessKey: "ak-test", secretKey: "sk-test-0123456789abcdef0123456789abcdef")

/// Runs a mock exchange and a router with the Upbit module pointed at it, over real sockets.
/// With ``UpbitDialect/bithumb`` the module speaks Bithumb's dialect to the mock's `/bithumb` paths.
func withUpbitAgainstMock(
    dialect: UpbitDialect = .upbit, credentials: UpbitCredentials? = keys,
    algorithm: UpbitTokenSigner.Algorithm = .hs512, format: String = "DEFAULT",
    faults: MockFaults = MockFaults(), fallbackPollInterval: Duration = .seconds(1),
    keepaliveInterval: Duration = .seconds(25), silenceTolerance: Duration = .seconds(60),
    router configuration: RouterConfiguration = RouterConfiguration(
        debounce: .milliseconds(20), gracePeriod: .zero, subscriptionAuditInterval: nil),
    _ body: @Sendable (MarketDataRouter, MockExchangeServer, UpbitExchange) async throws -> Void
) async throws {
    let server = MockExchangeServer(
        configuration: MockExchangeConfiguration(
            updatesPerSecond: 100, credentials: [MockCredentials(accessKey: keys.accessKey, secretKey: keys.secretKey)],
            faults: faults),
        logger: quietLogger)
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await server.run() }
        defer { group.cancelAll() }
        let endpoint = try await server.endpoint()
        let upbit = try UpbitExchange(
            dialect: dialect,
            configuration: .init(
                baseURL: endpoint.webSocketBase + (dialect == .bithumb ? "/bithumb" : ""), credentials: credentials,
                tokenAlgorithm: algorithm, format: format,
                keepaliveInterval: keepaliveInterval, silenceTolerance: silenceTolerance,
                fallbackPollInterval: fallbackPollInterval),
            logger: quietLogger)
        let router = MarketDataRouter(managers: [upbit], configuration: configuration, logger: quietLogger)
        group.addTask { try await router.run() }
        try await body(router, server, upbit)
    }
}

extension Subscription.Iterator {
    /// The next `count` market events that match. A test that reads one subscription several
    /// times keeps one iterator: an iterator let go drops the batch it took.
    mutating func first(_ count: Int, where predicate: @Sendable (MarketEvent) -> Bool = { _ in true }) async throws
        -> [MarketEvent]
    {
        var events: [MarketEvent] = []
        while events.count < count, let event = try await next() {
            guard case .market(let market) = event, predicate(market) else { continue }
            events.append(market)
        }
        return events
    }

    /// Waits for the channel's next switch to `mode`.
    mutating func waitForMode(_ mode: ChannelDataMode) async throws {
        while let event = try await next() {
            if case .connection(let change) = event, change.kind == .modeChanged(mode) { return }
        }
    }
}

extension Subscription {
    /// The first `count` market events (for a subscription read once).
    func first(_ count: Int, where predicate: @Sendable (MarketEvent) -> Bool = { _ in true }) async throws
        -> [MarketEvent]
    {
        var events: [MarketEvent] = []
        for try await event in self {
            guard case .market(let market) = event, predicate(market) else { continue }
            events.append(market)
            if events.count == count { break }
        }
        return events
    }
}

@Suite(.timeLimit(.minutes(1))) struct UpbitAgainstMockTests {
    @Test(arguments: ["DEFAULT", "SIMPLE"])
    func publicKindsStreamInEveryFormat(format: String) async throws {
        try await withUpbitAgainstMock(format: format) { router, _, _ in
            let btc = try MarketCode("KRW-BTC")
            for kind in [DataKind.ticker, .trade, .orderbook(depth: .fifteen), .candle(.oneMinute)] {
                let events = try await router.subscribe(to: kind, markets: [btc]).first(2)
                #expect(events.count == 2 && events.allSatisfy { $0.kind == kind && $0.market == btc })
                if case .orderbook(let book) = events.last?.payload { #expect(book.units.count == 15) }
            }
            #expect(router.health().channels.first { $0.channel.channel == .public }?.malformedFrames == 0)
        }
    }

    @Test(arguments: [UpbitTokenSigner.Algorithm.hs256, .hs512])
    func privateKindsWorkWithValidKeys(algorithm: UpbitTokenSigner.Algorithm) async throws {
        try await withUpbitAgainstMock(algorithm: algorithm) { router, _, _ in
            let assets = try router.subscribe(to: .myAsset, markets: [])
            let orders = try router.subscribe(to: .myOrder, markets: [])
            // The JWT was accepted and both kinds went out on the private connection.
            let privateChannel = ChannelKey(exchange: "upbit", channel: .private)
            await router.waitForUpstreamSync(on: privateChannel)
            #expect(
                router.upstreamTopics(on: privateChannel).map(\.kind).sorted { "\($0)" < "\($1)" } == [
                    .myAsset, .myOrder,
                ])
            #expect(router.health().channels.first { $0.channel == privateChannel }?.state == .streaming)
            withExtendedLifetime((assets, orders)) {}
        }
    }

    @Test func withoutKeysPrivateKindsAreUnavailableAndPublicOnesWork() async throws {
        try await withUpbitAgainstMock(credentials: nil) { router, _, _ in
            #expect {
                _ = try router.subscribe(to: .myOrder, markets: [])
            } throws: { error in
                (error as? MarketStreamError)?.code == .authenticationUnavailable
            }
            let events = try await router.subscribe(to: .ticker, markets: [MarketCode("KRW-ETH")]).first(1)
            #expect(events.count == 1)
        }
    }

    @Test func aBurstOfChangesNeverExceedsTheMessageLimits() async throws {
        // The mock enforces Upbit's 5 messages/s and 100/min per connection with an error frame
        // and a close; 40 changes in 2 s with no debounce must reach it without one.
        try await withUpbitAgainstMock(
            router: RouterConfiguration(debounce: .zero, gracePeriod: .zero, subscriptionAuditInterval: nil)
        ) { router, server, _ in
            let channel = ChannelKey(exchange: "upbit", channel: .public)
            var live: [Subscription] = []
            for index in 0..<40 {
                live.append(try router.subscribe(to: .ticker, markets: [server.markets[index % 20]]))
                if index % 2 == 1 { live.removeFirst().cancel() }
                try await Task.sleep(for: .milliseconds(50))
            }
            await router.waitForUpstreamSync(on: channel)
            let health = try #require(router.health().channels.first { $0.channel == channel })
            #expect(
                health.reconnects == 0 && health.lastError == nil,
                "the exchange never closed for the rate: \(health.lastError ?? "-")")
            #expect(health.upstreamMessages >= 5, "the changes were batched, not dropped")
            #expect(router.upstreamTopics(on: channel) == router.desiredTopics(on: channel))
            withExtendedLifetime(live) {}
        }
    }

    @Test func aDroppedConnectionIsRestoredWithTheFullSet() async throws {
        try await withUpbitAgainstMock { router, server, _ in
            let btc = try MarketCode("KRW-BTC")
            let eth = try MarketCode("KRW-ETH")
            let ticks = try router.subscribe(to: .ticker, markets: [btc, eth])
            let trades = try router.subscribe(to: .trade, markets: [btc])
            _ = try await ticks.first(2)
            server.dropConnections()
            var sawRestore = false
            var after: Set<MarketCode> = []
            for try await event in ticks {
                switch event {
                case .connection(let change) where change.kind == .restored: sawRestore = true
                case .market(let market) where sawRestore: after.insert(market.market)
                default: break
                }
                if after == [btc, eth] { break }
            }
            #expect(sawRestore && after == [btc, eth])
            let events = try await trades.first(1) { $0.generation >= ConnectionGeneration(2) }
            #expect(events.first?.kind == .trade, "the trade stream was restored too")
        }
    }

    @Test func silentlyDroppedSubscriptionsAreFoundByTheAuditAndResent() async throws {
        try await withUpbitAgainstMock(
            router: RouterConfiguration(
                debounce: .milliseconds(20), gracePeriod: .zero, subscriptionAuditInterval: .milliseconds(200))
        ) { router, server, _ in
            let btc = try MarketCode("KRW-BTC")
            let ticks = try router.subscribe(to: .ticker, markets: [btc])
            _ = try await ticks.first(1)
            server.forgetSubscriptions(fraction: 1)
            // Ticks stop until the audit notices and the set is resent.
            let resumed = try await ticks.first(1) { $0.stream == .snapshot && $0.timestamp.milliseconds > 0 }
            #expect(resumed.count == 1)
            let health = router.health().channels.first { $0.channel.channel == .public }
            #expect((health?.driftRepairs ?? 0) >= 1)
            #expect(health?.reconnects == 0, "repaired on the same connection")
        }
    }

    /// `mock-server --stall`: the socket stays open and pings are answered, but after the
    /// subscription's snapshot no data comes: replaced within 1¼ tolerances.
    @Test func aFeedThatAnswersPingsButNeverSendsDataIsReplaced() async throws {
        try await withUpbitAgainstMock(
            faults: MockFaults(stalled: true), keepaliveInterval: .milliseconds(200), silenceTolerance: .seconds(1)
        ) {
            router, server, _ in
            let ticks = try router.subscribe(to: .ticker, markets: [MarketCode("KRW-BTC")])
            let started = ContinuousClock.now
            var outage: ConnectionEvent?
            for try await event in ticks {
                if case .connection(let change) = event {
                    outage = change
                    break
                }
            }
            guard case .reconnecting(_, _, let reason)? = outage?.kind else {
                Issue.record("expected a reconnect, got \(String(describing: outage))")
                return
            }
            #expect(reason.code == .connectionStalled)
            #expect(reason.message.contains("pings answered but no data"), "\(reason)")
            // About 1¼ s of silence plus the close; a loaded machine (CI builds beside the tests) takes longer.
            #expect(started.duration(to: .now) < .seconds(40))
            // Once the feed recovers, data flows on a new connection.
            server.setFaults(MockFaults())
            let events = try await ticks.first(1)
            #expect(events.first?.generation ?? .none >= ConnectionGeneration(2))
        }
    }

    @Test func malformedFramesAreSkippedAndTheStreamContinues() async throws {
        try await withUpbitAgainstMock { router, server, _ in
            let ticks = try router.subscribe(to: .ticker, markets: [MarketCode("KRW-BTC")])
            _ = try await ticks.first(1)
            server.sendMalformedFrames()
            let malformed = { router.health().channels.first { $0.channel.channel == .public }?.malformedFrames ?? 0 }
            // Three realtime ticks after the malformed frame was counted: the stream went on.
            var after = 0
            for try await event in ticks {
                guard case .market(let tick) = event, tick.stream == .realtime else { continue }
                if malformed() >= 1 { after += 1 }
                if after == 3 { break }
            }
            #expect(after == 3 && malformed() >= 1)
            #expect(router.health().channels.first { $0.channel.channel == .public }?.reconnects == 0)
        }
    }
}

@Suite struct RequestEncoderTests {
    let encoder = UpbitRequestEncoder(format: "DEFAULT", makeTicket: { "ticket-1" })
    let btc = MarketCode(validated: "KRW-BTC")
    let eth = MarketCode(validated: "KRW-ETH")

    func topic(_ kind: DataKind, _ market: MarketCode) -> SubscriptionTopic {
        SubscriptionTopic(exchange: "upbit", kind: kind, market: market)
    }

    @Test func theWholeSetGoesOutAndOldTopicsDoNotReSnapshot() throws {
        let request = SubscriptionRequest(
            channel: .public,
            desired: [topic(.ticker, btc), topic(.ticker, eth), topic(.orderbook(depth: .fifteen), btc)],
            added: [topic(.ticker, eth)], removed: [], snapshots: [topic(.trade, eth)], sequence: 2)
        let text = try #require(try encoder.encode(request))
        #expect(
            text == #"[{"ticket":"ticket-1"},{"type":"orderbook","codes":["KRW-BTC.15"],"is_only_realtime":true},"#
                + #"{"type":"ticker","codes":["KRW-BTC"],"is_only_realtime":true},{"type":"ticker","codes":["KRW-ETH"]},"#
                + #"{"type":"trade","codes":["KRW-ETH"],"is_only_snapshot":true},{"format":"DEFAULT"}]"#)
    }

    @Test func privateRequestsAndInvalidOnes() throws {
        let request = SubscriptionRequest(
            channel: .private, desired: [topic(.myAsset, .account), topic(.myOrder, .account)], added: [], removed: [],
            snapshots: [], sequence: 1)
        #expect(
            try encoder.encode(request)
                == #"[{"ticket":"ticket-1"},{"type":"myAsset"},{"type":"myOrder"},{"format":"DEFAULT"}]"#)
        let empty = SubscriptionRequest(
            channel: .public, desired: [], added: [], removed: [], snapshots: [], sequence: 1)
        #expect(try encoder.encode(empty) == nil)
        let wrongChannel = SubscriptionRequest(
            channel: .public, desired: [topic(.myOrder, btc)], added: [], removed: [], snapshots: [], sequence: 1)
        #expect(throws: MarketStreamError.self) { try encoder.encode(wrongChannel) }
        let levelOnBTC = SubscriptionRequest(
            channel: .public, desired: [topic(.orderbook(depth: .five, level: 10), MarketCode(validated: "BTC-ETH"))],
            added: [], removed: [], snapshots: [], sequence: 1)
        #expect(throws: MarketStreamError.self) { try encoder.encode(levelOnBTC) }
    }

    @Test func secretsNeverShow() {
        let credentials = UpbitCredentials(accessKey: "AKIAexample", secretKey: "super-secret-value")
        let signer = UpbitTokenSigner(credentials: credentials, makeNonce: { "n" })
        for text in [credentials.description, credentials.debugDescription, signer.description, "\(credentials)"] {
            #expect(!text.contains("super-secret-value") && !text.contains("AKIAexample"))
        }
        let token = signer.token(query: "market=KRW-BTC")
        #expect(token.split(separator: ".").count == 3 && !token.contains("super-secret-value"))
        #expect(UpbitCredentials.fromEnvironment(["UPBIT_ACCESS_KEY": "a"]) == nil)
        #expect(UpbitCredentials.fromEnvironment(["UPBIT_ACCESS_KEY": "a", "UPBIT_SECRET_KEY": "b"])?.accessKey == "a")
    }
}
