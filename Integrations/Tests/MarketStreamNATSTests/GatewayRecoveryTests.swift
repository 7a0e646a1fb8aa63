import Foundation
import MarketStreamCore
import MarketStreamNATS
import MarketStreamRouting
import MarketStreamTesting
import MockExchange
import Testing

/// Late joiners, a gateway that is replaced, and a NATS server that restarts.
@Suite(.timeLimit(.minutes(2))) struct GatewayRecoveryTests {
    @Test func aProcessJoiningAStreamedTopicGetsTheLastFrameAsASnapshot() async throws {
        try await GatewayHarness.run(mock: MockExchangeConfiguration(updatesPerSecond: 5)) { h in
            try await h.serving(h.gateway()) { gateway, group in
                let (first, _) = try h.remoteRouter(client: "early")
                let (second, remote) = try h.remoteRouter(client: "late")
                group.addTask { try await first.run() }
                group.addTask { try await second.run() }
                var early = try first.subscribe(to: .ticker, markets: [btc]).makeAsyncIterator()
                _ = try await early.nextMarketEvent()
                #expect(try await h.eventually { h.upstream == ["ticker/KRW-BTC"] })

                // The topic is already upstream, so the exchange sends no new snapshot: the
                // gateway's last frame is the late joiner's.
                let start = ContinuousClock.now
                var late = try second.subscribe(to: .ticker, markets: [btc]).makeAsyncIterator()
                let event = try #require(try await late.nextMarketEvent())
                #expect(event.stream == .snapshot)
                // From the gateway's cache, not an exchange snapshot: quickly, even on a loaded machine.
                #expect(ContinuousClock.now - start < .seconds(3))
                #expect(remote.statistics.snapshotsReplayed == 1)
            }
        }
    }

    @Test func aReplacedGatewayReachesSubscribersAsAReconnectWithNoStaleEvent() async throws {
        try await GatewayHarness.run { h in
            let old = try await h.gateway(epoch: 10, id: "old")
            let oldTask = Task { try await old.run() }
            await old.waitUntilServing()
            try await withThrowingTaskGroup(of: Void.self) { group in
                defer { group.cancelAll() }
                let (router, remote) = try h.remoteRouter(client: "strategy")
                group.addTask { try await router.run() }
                var events = try router.subscribe(to: .ticker, markets: [btc, eth]).makeAsyncIterator()
                let first = try #require(try await events.nextMarketEvent())
                #expect(first.generation == ConnectionGeneration(1))

                // The gateway goes away and another, with a higher epoch, takes its place.
                oldTask.cancel()
                _ = await oldTask.result
                let new = try await h.gateway(epoch: 11, id: "new")
                group.addTask { try await new.run() }
                await new.waitUntilServing()
                let started = ContinuousClock.now
                var sawReconnecting = false
                var restoredGeneration: ConnectionGeneration?
                while let event = try await events.next() {
                    switch event {
                    case .connection(let connection):
                        if case .reconnecting = connection.kind { sawReconnecting = true }
                        if connection.kind == .restored { restoredGeneration = connection.generation }
                    case .market(let market):
                        if sawReconnecting {
                            #expect(market.generation > first.generation, "an event of an older generation")
                        }
                    }
                    if restoredGeneration != nil { break }
                }
                #expect(sawReconnecting, "every subscriber is told")
                #expect(ContinuousClock.now - started < .seconds(5))
                let after = try #require(try await events.nextMarketEvent())
                #expect(after.generation == restoredGeneration)
                #expect(remote.statistics.epoch == 11)
                #expect(try await h.eventually { h.upstream == ["ticker/KRW-BTC", "ticker/KRW-ETH"] })
            }
        }
    }

    @Test func framesOfAnOlderGatewayAreFencedOff() async throws {
        try await GatewayHarness.run { h in
            try await h.serving(h.gateway(epoch: 5)) { gateway, group in
                let (router, remote) = try h.remoteRouter(client: "fenced")
                group.addTask { try await router.run() }
                var events = try router.subscribe(to: .ticker, markets: [btc]).makeAsyncIterator()
                _ = try await events.nextMarketEvent()
                // A stale gateway (epoch 4) still publishing on the same subject.
                let stale = try await NATSConnection.connect(.init(url: h.nats.url, name: "stale"))
                let message = BusEnvelope(
                    flags: [], epoch: 4, receivedAt: UnixTime(nanoseconds: 1), generation: 1, sequence: 1_000_000
                ).message(carrying: Array(#"{"type":"ticker"}"#.utf8))
                try stale.publish("ms.v1.mock.ticker.KRW-BTC", message)
                try await stale.flush()
                #expect(try await h.eventually { remote.statistics.fencedFrames >= 1 })
                #expect(remote.statistics.epoch == 5)
                // And the live one still flows.
                #expect(try await events.nextMarketEvent() != nil)
                await stale.close()
            }
        }
    }

    @Test func clientsAndGatewayRecoverOnTheirOwnWhenTheNATSServerRestarts() async throws {
        try await GatewayHarness.run { h in
            try await h.serving(h.gateway()) { gateway, group in
                let (router, _) = try h.remoteRouter(client: "survivor")
                group.addTask { try await router.run() }
                var events = try router.subscribe(to: .ticker, markets: [btc]).makeAsyncIterator()
                _ = try await events.nextMarketEvent()

                h.nats.kill()
                try await Task.sleep(for: .milliseconds(300))
                #expect(try await h.nats.launch())
                var sawReconnecting = false
                while let event = try await events.next() {
                    if case .connection(let connection) = event, case .reconnecting = connection.kind {
                        sawReconnecting = true
                    }
                    if case .market(let market) = event, sawReconnecting, market.generation > ConnectionGeneration(1) {
                        break
                    }
                }
                #expect(sawReconnecting)
                #expect(gateway.clients.map(\.id) == ["survivor-public"])
            }
        }
    }

    @Test func waitingForAGatewayToServeEndsWhenItStopsFirstOrTheWaiterGivesUp() async throws {
        try await GatewayHarness.run { h in
            let bus = try await NATSConnection.connect(.gateway(url: h.nats.url, name: "stopped"))
            let gateway = try MarketDataGateway(
                manager: h.venue(), bus: bus, configuration: GatewayConfiguration(id: "stopped", epoch: 5),
                logger: quietLogger)
            // A waiter that gives up stops waiting.
            let impatient = Task { await gateway.waitUntilServing() }
            impatient.cancel()
            await impatient.value
            // A gateway whose bus is gone cannot serve: its run ends, and so does the wait for it.
            let waiting = Task { await gateway.waitUntilServing() }
            await bus.close()
            await #expect(throws: (any Error).self) { try await gateway.run() }
            let ended = await endsBefore(.seconds(10), release: { waiting.cancel() }) {
                await waiting.value
                return true
            }
            #expect(ended == true && gateway.epoch == 0, "the wait ended with the gateway, which never served")
        }
    }
}
