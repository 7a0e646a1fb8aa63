import MarketStreamCore
import MarketStreamRouting
import MockExchange
import Testing
import UpbitExchange

/// The mock's private stream rejects every token (REST still accepts the key); the router serves
/// `myOrder`/`myAsset` by REST polling and tells subscribers when the mode changes.
private func withFailingPrivateStream(
    credentials: UpbitCredentials = keys,
    _ body: @Sendable (MarketDataRouter, MockExchangeServer, UpbitExchange) async throws -> Void
) async throws {
    try await withUpbitAgainstMock(
        credentials: credentials, faults: MockFaults(rejectPrivateStream: true),
        fallbackPollInterval: .milliseconds(100),
        router: RouterConfiguration(
            debounce: .milliseconds(20), gracePeriod: .zero,
            reconnect: ReconnectPolicy(initialDelay: .milliseconds(100), maximumDelay: .milliseconds(400)),
            subscriptionAuditInterval: nil, restFallback: RESTFallbackPolicy(recoveryPeriod: .seconds(1))),
        body)
}

extension Subscription {
    /// Waits for the channel's next switch to `mode`.
    func waitForMode(_ mode: ChannelDataMode) async throws {
        for try await event in self {
            if case .connection(let change) = event, change.kind == .modeChanged(mode) { return }
        }
    }
}

extension MarketDataRouter {
    fileprivate var privateChannel: ChannelHealth? { health().channels.first { $0.channel.channel == .private } }
}

@Suite(.timeLimit(.minutes(1))) struct PrivateFallbackTests {
    let btc = try! MarketCode("KRW-BTC")

    @Test func aRejectedPrivateStreamIsServedByRESTPollingAndRecovers() async throws {
        try await withFailingPrivateStream { router, server, upbit in
            // Each subscription is read several times, through one iterator.
            var orders = try router.subscribe(to: .myOrder, markets: []).makeAsyncIterator()
            var assets = try router.subscribe(to: .myAsset, markets: []).makeAsyncIterator()
            // A third subscription only watches the mode changes.
            var watcher = try router.subscribe(to: .myAsset, markets: []).makeAsyncIterator()

            // INVALID_AUTH on the socket: polling starts at once, and the balances arrive polled.
            try await watcher.waitForMode(.restPolling)
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
            try await watcher.waitForMode(.stream)
            #expect(router.privateChannel?.mode == .stream && router.privateChannel?.state == .streaming)
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
            try await assets.waitForMode(.restPolling)
            // The first poll is refused, and subscribers are told.
            var failure: String?
            for try await event in assets {
                if case .connection(let change) = event, case .pollFailed(let error) = change.kind {
                    failure = error.description
                    break
                }
            }
            #expect(failure?.contains("jwt_verification") == true && failure?.contains("wrong-secret") == false)
            let channel = try #require(router.privateChannel)
            #expect(channel.mode == .restPolling && channel.status == .critical && channel.pollFailures >= 1)
            #expect(channel.lastPollError?.contains("jwt_verification") == true)
            let report = router.health().description
            #expect(!report.contains("wrong-secret") && !report.contains("Bearer"))
        }
    }
}
