import Foundation
import MarketStreamCore
import MarketStreamNATS
import MarketStreamRouting
import Testing

/// Two `marketstream-gateway` processes in leader election; the leader is killed with SIGKILL.
@Suite(.timeLimit(.minutes(2))) struct GatewayFailoverTests {
    /// The gateway executable, built next to the test bundle.
    static var gatewayBinary: String { BuiltProgram.path("marketstream-gateway") }

    static func launchGateway(id: String, nats: String, upstream: String, writes: String = "immediate") throws
        -> Process
    {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: gatewayBinary)
        process.arguments = [
            "serve", "--failover", "--dashboard-port", "0", "--id", id, "--nats", nats, "--upstream", upstream,
            "--writes", writes, "--log-level", "error",
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    @Test func aLeaderThatStopsGracefullyStepsDownAtOnce() async throws {
        let nats = try await NATSServerProcess.start(jetStream: true)
        defer { nats.kill() }
        let bus = try await NATSConnection.connect(.init(url: nats.url, name: "election"))
        let alpha = try await GatewayLeadership(bus: bus, venue: "mock", id: "alpha")
        let beta = try await GatewayLeadership(bus: bus, venue: "mock", id: "beta")
        let revision = try #require(try await alpha.tryAcquire())
        #expect(try await beta.tryAcquire() == nil, "alpha leads")
        let holding = Task { try await alpha.hold(from: revision) }
        holding.cancel()
        let outcome = await holding.result
        #expect(throws: CancellationError.self) { try outcome.get() }
        // The key is gone at once, not after its 2 s lifetime: beta's first try succeeds.
        let next = try #require(try await beta.tryAcquire(), "alpha stepped down")
        #expect(next > revision, "the new epoch is higher")
        await bus.close()
    }

    @Test func aStandbyTakesOverWithinFiveSecondsOfTheLeadersKill9() async throws {
        #expect(FileManager.default.isExecutableFile(atPath: Self.gatewayBinary), "\(Self.gatewayBinary)")
        try await GatewayHarness.run(jetStream: true) { h in
            let first = try Self.launchGateway(id: "alpha", nats: h.nats.url, upstream: h.mockBase)
            defer { if first.isRunning { kill(first.processIdentifier, SIGKILL) } }
            // The two write modes: whichever leads first, the other serves after the takeover.
            let second = try Self.launchGateway(id: "beta", nats: h.nats.url, upstream: h.mockBase, writes: "combined")
            defer { if second.isRunning { kill(second.processIdentifier, SIGKILL) } }

            // Which one leads: the heartbeat names it.
            let bus = try await NATSConnection.connect(.init(url: h.nats.url, name: "observer"))
            let leaders = MutexList<GatewayStatus>()
            let status = try bus.subscribe("ms.v1.status.mock") { message in
                if let beat = try? JSONDecoder().decode(GatewayStatus.self, from: Data(message.data)) {
                    leaders.append(beat)
                }
            }
            #expect(try await h.eventually { !leaders.items.isEmpty })

            try await withThrowingTaskGroup(of: Void.self) { group in
                defer { group.cancelAll() }
                let (router, remote) = try h.remoteRouter(client: "survivor")
                group.addTask { try await router.run() }
                var events = try router.subscribe(to: .ticker, markets: [btc, eth]).makeAsyncIterator()
                let before = try #require(try await events.nextMarketEvent())
                #expect(try await h.eventually { h.upstream == ["ticker/KRW-BTC", "ticker/KRW-ETH"] })
                let leader = try #require(leaders.items.last)
                let firstEpoch = leader.epoch

                let victim = leader.gateway == "alpha" ? first : second
                kill(victim.processIdentifier, SIGKILL)
                let killed = ContinuousClock.now
                var sawReconnecting = false
                var restored: ConnectionGeneration?
                while restored == nil, let event = try await events.next() {
                    switch event {
                    case .connection(let connection):
                        if case .reconnecting = connection.kind { sawReconnecting = true }
                        if connection.kind == .restored { restored = connection.generation }
                    case .market(let market):
                        if sawReconnecting { #expect(market.generation > before.generation, "a stale event") }
                    }
                }
                let takeover = ContinuousClock.now - killed
                #expect(sawReconnecting, "subscribers are told")
                #expect(takeover < .seconds(5), "took over in \(takeover)")
                let after = try #require(try await events.nextMarketEvent())
                #expect(after.generation == restored)
                #expect(remote.statistics.epoch > firstEpoch, "the new leader's epoch fences the old one")
                let newLeader = try #require(leaders.items.last)
                #expect(newLeader.gateway != leader.gateway)
                // The standby's own connection to the venue carries the whole set.
                #expect(try await h.eventually { h.upstream == ["ticker/KRW-BTC", "ticker/KRW-ETH"] }, "\(h.upstream)")
                print("takeover after kill -9: \(takeover)")
            }
            status.unsubscribe()
            await bus.close()
        }
    }
}

/// A list filled from nats.c's threads.
final class MutexList<Element: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [Element] = []

    func append(_ element: Element) { lock.withLock { storage.append(element) } }

    var items: [Element] { lock.withLock { storage } }
}
