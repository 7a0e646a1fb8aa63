import Clocks
import Logging
import MarketStreamCore
import MarketStreamRouting
import MarketStreamTesting
import ServiceLifecycle
import Testing

@Suite(.timeLimit(.minutes(1))) struct ServiceTests {
    @Test func gracefulShutdownOfTheServiceGroupEndsEverySubscription() async throws {
        let harness = RouterHarness()
        let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(services: [harness.router], logger: logger))
        let subscription = try harness.router.subscribe(to: .ticker, markets: [btc])
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            await harness.waitForUpstream([btc])
            await group.triggerGracefulShutdown()
            var iterator = subscription.makeAsyncIterator()
            await #expect {
                while try await iterator.next() != nil {}
            } throws: { error in
                (error as? MarketStreamError)?.code == .routerShutDown
            }
            try await tasks.waitForAll()
        }
        #expect(harness.router.health().channels.allSatisfy { $0.state == .stopped })
    }

    @Test func theSubscriptionAuditIsOffUnlessAskedFor() {
        #expect(RouterConfiguration().subscriptionAuditInterval == nil)
        #expect(RouterConfiguration(subscriptionAuditInterval: .seconds(60)).subscriptionAuditInterval == .seconds(60))
    }

    @Test func nothingStartsBeforeRun() async throws {
        let harness = RouterHarness()
        let subscription = try harness.router.subscribe(to: .ticker, markets: [btc])
        await harness.clock.advance(by: .seconds(5))
        #expect(harness.exchange.snapshot.attempts.isEmpty, "init and subscribe opened no connection")
        try await harness.run { h in
            await h.waitForUpstream([btc])
        }
        withExtendedLifetime(subscription) {}
    }
}
