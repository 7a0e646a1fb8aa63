import MarketStreamCore
import MarketStreamRouting
import MarketStreamTesting
import PropertyBased
import Testing

/// Random interleavings of subscribe, partial unsubscribe, cancel and release across many
/// clients: the upstream set always converges to the union of live wants, no flush repeats an
/// unchanged set, and when every client is gone nothing is left upstream.
@Suite(.timeLimit(.minutes(2))) struct ConsolidationPropertyTests {
    static let clientCount = 24
    static let pool = markets(12)

    /// The test's model of who wants what.
    struct Model {
        var subscriptions: [Int: [(subscription: Subscription, markets: Set<MarketCode>)]] = [:]
        var clients: [Int: MarketDataClient] = [:]

        var union: Set<MarketCode> {
            subscriptions.values.reduce(into: Set()) { union, list in
                for entry in list { union.formUnion(entry.markets) }
            }
        }
    }

    @Test func upstreamAlwaysEqualsTheUnionOfLiveWants() async {
        await propertyCheck(count: 25, input: Gen.int(in: 0...9_999).array(of: 20...60)) { operations in
            do {
                try await Self.check(operations)
            } catch {
                Issue.record("unexpected error: \(error)")
            }
        }
    }

    static func check(_ operations: [Int]) async throws {
        // Generous message limits so that convergence needs no clock; batching is tested elsewhere.
        let harness = RouterHarness(
            configuration: RouterConfiguration(debounce: .zero, gracePeriod: .zero),
            messageLimits: [RateLimit(1_000_000, per: .seconds(1))])
        try await harness.run { h in
            await h.exchange.waitForConnection(1)
            var model = Model()
            for operation in operations {
                let client = operation % clientCount
                let market = pool[(operation / clientCount) % pool.count]
                switch (operation / (clientCount * pool.count)) % 4 {
                case 0:  // subscribe
                    if model.clients[client] == nil {
                        model.clients[client] = try h.router.client("component.\(client)")
                    }
                    let second = pool[(operation / 7) % pool.count]
                    let subscription = try model.clients[client]!.subscribe(to: .ticker, markets: [market, second])
                    model.subscriptions[client, default: []].append((subscription, [market, second]))
                case 1:  // partial unsubscribe
                    model.clients[client]?.unsubscribe(from: .ticker, markets: [market])
                    model.subscriptions[client] = model.subscriptions[client]?.compactMap { entry in
                        let rest = entry.markets.subtracting([market])
                        return rest.isEmpty ? nil : (entry.subscription, rest)
                    }
                case 2:  // cancel one subscription
                    if var list = model.subscriptions[client], !list.isEmpty {
                        list.removeFirst().subscription.cancel()
                        model.subscriptions[client] = list
                    }
                default:  // release the client handle
                    model.clients[client] = nil
                    model.subscriptions[client] = nil
                }
                await h.waitForUpstream(model.union)
            }
            model = Model()
            await h.waitForUpstream([])

            let requests = h.exchange.snapshot.requests
            for (previous, next) in zip(requests, requests.dropFirst()) where previous.connection == next.connection {
                #expect(previous.liveAfter != next.liveAfter, "no flush repeats an unchanged set")
            }
            #expect(h.router.desiredTopics(on: publicChannel).isEmpty)
            #expect(h.router.health().subscribers == 0)
        }
    }
}
