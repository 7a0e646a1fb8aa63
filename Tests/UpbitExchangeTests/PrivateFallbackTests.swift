import Logging
import MarketStreamCore
import MarketStreamRouting
import MockExchange
import Testing
import UpbitExchange

/// Runs a mock exchange whose private stream rejects every token, and a router whose Upbit
/// module falls back to REST polling.
private func withFailingPrivateStream(
    credentials: UpbitCredentials = keys,
    _ body: @Sendable (MarketDataRouter, UpbitExchange, MockExchangeServer) async throws -> Void
) async throws {
    let server = MockExchangeServer(
        configuration: MockExchangeConfiguration(
            updatesPerSecond: 20, credentials: [MockCredentials(accessKey: keys.accessKey, secretKey: keys.secretKey)],
            faults: MockFaults(rejectPrivateStream: true)),
        logger: quietLogger)
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await server.run() }
        defer { group.cancelAll() }
        let endpoint = await server.endpoint()
        let upbit = try UpbitExchange(
            configuration: .init(
                baseURL: endpoint.webSocketBase, credentials: credentials, fallbackPollInterval: .milliseconds(100)),
            logger: quietLogger)
        let router = MarketDataRouter(
            managers: [upbit],
            configuration: RouterConfiguration(
                debounce: .milliseconds(20), gracePeriod: .zero,
                reconnect: ReconnectPolicy(initialDelay: .milliseconds(100), maximumDelay: .milliseconds(400)),
                subscriptionAuditInterval: nil,
                restFallback: RESTFallbackPolicy(recoveryPeriod: .seconds(1))),
            logger: quietLogger)
        group.addTask { try await router.run() }
        try await body(router, upbit, server)
    }
}

/// Waits (on the wall clock: the router runs on real time here) until `condition` holds.
private func eventually(
    within limit: Duration = .seconds(20), _ condition: @Sendable () -> Bool
) async throws -> Bool {
    let clock = ContinuousClock()
    let deadline = clock.now.advanced(by: limit)
    while clock.now < deadline {
        if condition() { return true }
        try await Task.sleep(for: .milliseconds(10))
    }
    return condition()
}

private extension MarketDataRouter {
    var privateChannel: ChannelHealth? { health().channels.first { $0.channel.channel == .private } }
}

@Suite(.timeLimit(.minutes(1))) struct PrivateFallbackTests {
    let btc = try! MarketCode("KRW-BTC")

    @Test func aRejectedPrivateStreamIsServedByRESTPollingAndRecovers() async throws {
        try await withFailingPrivateStream { router, upbit, server in
            let orders = try router.subscribe(to: .myOrder, markets: [])
            let assets = try router.subscribe(to: .myAsset, markets: [])

            // INVALID_AUTH on the socket: polling starts at once, and the balances arrive polled.
            let balances = try await assets.first(1)
            #expect(balances.first?.stream == .polled)
            guard case .myAsset(let asset) = balances.first?.payload else { Issue.record("no balances"); return }
            #expect(asset.assets.first { $0.currency == "KRW" }?.balance == ExactDecimal(10_000_000))
            #expect(router.privateChannel?.mode == .restPolling)
            #expect(router.privateChannel?.status == .degraded)

            // An order placed meanwhile shows up as a polled myOrder and a polled balance change.
            let placed = try await upbit.rest.placeOrder(.limit(btc, .bid, price: 1_000_000, volume: 1))
            let waiting = try await orders.first(1) {
                if case .myOrder(let order) = $0.payload { return order.uuid == placed.uuid }
                return false
            }
            #expect(waiting.first?.stream == .polled)
            if case .myOrder(let order) = waiting.first?.payload { #expect(order.state == "wait") }
            let locked = try await assets.first(1)
            if case .myAsset(let asset) = locked.first?.payload {
                #expect(asset.assets.first { $0.currency == "KRW" }?.locked == ExactDecimal(1_000_500))
            }
            #expect((router.privateChannel?.polledEvents ?? 0) >= 3)

            // A market order fills between two polls: its fill and final state still arrive.
            let bought = try await upbit.rest.placeOrder(.marketBuy(btc, funds: 50_000))
            let filled = try await orders.first(2) {
                if case .myOrder(let order) = $0.payload { return order.uuid == bought.uuid }
                return false
            }
            let states = filled.compactMap { event -> String? in
                if case .myOrder(let order) = event.payload { return order.state }
                return nil
            }
            #expect(states == ["trade", "done"] && filled.allSatisfy { $0.stream == .polled })

            // The stream comes back: polling stops once it has stayed up, and events are realtime again.
            server.setFaults(MockFaults())
            #expect(try await eventually { router.privateChannel?.mode == .stream })
            #expect(router.privateChannel?.state == .streaming)
            _ = try await upbit.rest.cancelOrder(uuid: placed.uuid)
            let cancelled = try await orders.first(1) {
                if case .myOrder(let order) = $0.payload { return order.state == "cancel" }
                return false
            }
            #expect(cancelled.first?.stream == .realtime)
        }
    }

    @Test func aKeyRejectedEverywhereIsReportedWithoutSecrets() async throws {
        let wrong = UpbitCredentials(accessKey: keys.accessKey, secretKey: "wrong-secret-do-not-print")
        try await withFailingPrivateStream(credentials: wrong) { router, _, _ in
            let assets = try router.subscribe(to: .myAsset, markets: [])
            #expect(try await eventually { router.privateChannel?.lastPollError != nil })
            let channel = try #require(router.privateChannel)
            #expect(channel.mode == .restPolling && channel.status == .critical)
            #expect(channel.lastPollError?.contains("jwt_verification") == true)
            let report = router.health().description
            #expect(!report.contains("wrong-secret") && !report.contains("Bearer"))
            withExtendedLifetime(assets) {}
        }
    }
}
