import MarketStreamCore
import MarketStreamNATS
import MarketStreamRouting
import Synchronization
import Testing

/// `RemoteExchange.executor`: a consumer that prefers it runs on the bus's delivery thread, woken
/// by no thread hand-off; one that does not runs on Swift's pool.
@Suite(.timeLimit(.minutes(2))) struct RemoteDeliveryExecutorTests {
    /// Reads `count` ticker events from a remote router, with or without the executor preference.
    /// - Returns: How many of them the consumer handled on a delivery thread.
    static func eventsHandledOnADeliveryThread(count: Int, preferringTheExecutor: Bool) async throws -> Int {
        try await GatewayHarness.run { h in
            var onDelivery = 0
            try await h.serving(h.gateway()) { _, group in
                let (router, remote) = try h.remoteRouter(client: "executor")
                group.addTask { try await router.run() }
                let ticks = try router.subscribe(to: .ticker, markets: [btc, eth])
                let consume = { @Sendable () async throws -> Int in
                    var seen = 0
                    var handledThere = 0
                    for try await event in ticks {
                        guard case .market = event else { continue }
                        if remote.executor.isDeliveringOnCurrentThread { handledThere += 1 }
                        seen += 1
                        if seen == count { break }
                    }
                    return handledThere
                }
                onDelivery =
                    preferringTheExecutor
                    ? try await withTaskExecutorPreference(remote.executor, operation: consume)
                    : try await consume()
            }
            return onDelivery
        }
    }

    @Test func aConsumerPreferringTheExecutorRunsOnTheDeliveryThread() async throws {
        // The first event may come before the consumer first waits (it then starts on an event
        // loop); every one after wakes it on a delivery thread.
        let count = 15
        #expect(try await Self.eventsHandledOnADeliveryThread(count: count, preferringTheExecutor: true) >= count - 1)
    }

    @Test func aConsumerWithoutThePreferenceRunsOnThePool() async throws {
        #expect(try await Self.eventsHandledOnADeliveryThread(count: 10, preferringTheExecutor: false) == 0)
    }
}
