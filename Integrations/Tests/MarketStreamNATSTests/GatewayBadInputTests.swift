import Foundation
import MarketStreamCore
import MarketStreamNATS
import MarketStreamRouting
import Testing

/// Bad input on the control subjects gets a typed refusal in the reply, and the gateway goes on
/// serving everyone else.
@Suite(.timeLimit(.minutes(2))) struct GatewayBadInputTests {
    static func ask(_ bus: NATSConnection, _ body: [UInt8]) async throws -> DemandReply {
        let reply = try await bus.request("ms.v1.ctl.mock.demand", body, timeout: .seconds(2))
        return try JSONDecoder().decode(DemandReply.self, from: Data(reply))
    }

    static func lease(_ client: String, _ topics: [String]) throws -> [UInt8] {
        Array(
            try JSONEncoder().encode(DemandLease(client: client, sequence: 1, ttlMilliseconds: 5_000, topics: topics)))
    }

    @Test func malformedLeasesUnknownKindsInvalidCodesAndFloodsGetTypedRefusals() async throws {
        try await GatewayHarness.run { h in
            try await h.serving(h.gateway(maxClients: 4)) { gateway, group in
                let bus = try await NATSConnection.connect(.init(url: h.nats.url, name: "tester"))

                let garbage = try await Self.ask(bus, Array("{not json".utf8))
                #expect(garbage.error?.code == "invalidArgument", "\(garbage)")
                #expect(garbage.error?.message.contains("malformed demand lease") == true)

                let missing = try await Self.ask(bus, Array(#"{"client":"x","seq":1}"#.utf8))
                #expect(missing.error?.code == "invalidArgument", "\(missing)")

                let badClient = try await Self.ask(bus, Self.lease("has.dots", ["ticker/KRW-BTC"]))
                #expect(badClient.error?.code == "invalidArgument", "\(badClient)")

                let mixed = try await Self.ask(
                    bus,
                    Self.lease(
                        "mixed",
                        [
                            "ticker/KRW-BTC", "sparkle/KRW-BTC", "ticker/btc", "myOrder/KRW-BTC", "orderbook.7/KRW-BTC",
                            "no-slash",
                        ]))
                #expect(mixed.accepted == 1 && mixed.error == nil, "\(mixed)")
                let codes = Dictionary(uniqueKeysWithValues: mixed.rejected.map { ($0.topic, $0.code) })
                #expect(
                    codes == [
                        "sparkle/KRW-BTC": "unknownDataKind", "ticker/btc": "invalidMarketCode",
                        "myOrder/KRW-BTC": "unsupportedDataKind", "orderbook.7/KRW-BTC": "unsupportedDataKind",
                        "no-slash": "invalidArgument",
                    ])

                // A flood of new processes: past the limit each is refused, and those held stay.
                var refused = 0
                for index in 0..<20 {
                    let reply = try await Self.ask(bus, Self.lease("flood\(index)", ["ticker/KRW-ETH"]))
                    if reply.error?.code == "requestRejected" { refused += 1 }
                }
                #expect(refused == 17, "4 processes at most: 'mixed' and three of the flood")
                #expect(gateway.clients.count == 4)

                // Everyone else is still served: the union is upstream.
                #expect(try await h.eventually { h.upstream == ["ticker/KRW-BTC", "ticker/KRW-ETH"] }, "\(h.upstream)")
                await bus.close()
            }
        }
    }

    @Test func aRefusedTopicReachesTheRemoteSubscribersAsAnExchangeError() async throws {
        try await GatewayHarness.run { h in
            try await h.serving(h.gateway(maxClients: 1)) { gateway, group in
                // The one process the gateway serves.
                let bus = try await NATSConnection.connect(.init(url: h.nats.url, name: "first"))
                _ = try await Self.ask(bus, Self.lease("first", ["ticker/KRW-ETH"]))
                let (router, remote) = try h.remoteRouter(client: "second")
                group.addTask { try await router.run() }
                var events = try router.subscribe(to: .ticker, markets: [btc]).makeAsyncIterator()
                while let event = try await events.next() {
                    if case .connection(let connection) = event, case .exchangeError(let error) = connection.kind {
                        #expect(error.code == .requestRejected)
                        #expect(error.message.contains("at most 1 processes"), "\(error.message)")
                        break
                    }
                }
                #expect(remote.statistics.rejections >= 1)
                await bus.close()
            }
        }
    }
}
