import Foundation
import MarketStreamCore
import MarketStreamNATS
import MarketStreamRouting
import Testing

/// What nats.c drops for a process that falls behind reaches the router's health.
@Suite(.timeLimit(.minutes(2))) struct GatewaySlowConsumerTests {
    @Test func framesNATSDropsForASlowProcessShowInTheRoutersHealth() async throws {
        try await GatewayHarness.run { h in
            try await h.serving(h.gateway(epoch: 3)) { gateway, group in
                // nats.c may queue one message for this process before it drops.
                let (router, remote) = try h.remoteRouter(client: "slow", pendingLimit: 1)
                group.addTask { try await router.run() }
                var events = try router.subscribe(to: .ticker, markets: [btc]).makeAsyncIterator()
                _ = try await events.nextMarketEvent()

                // A burst far faster than one delivery thread decodes and routes, in one write.
                let burst = try await NATSConnection.connect(.init(url: h.nats.url, name: "burst"))
                for sequence in 0..<20_000 {
                    try burst.publish("ms.v1.mock.ticker.KRW-BTC", Self.frame(sequence: UInt32(10_000_000 + sequence)))
                }
                try await burst.flush()
                await burst.close()

                #expect(try await h.eventually { remote.statistics.droppedByClient > 0 })
                #expect(
                    try await h.eventually {
                        let dropped = Int(remote.statistics.droppedByClient)
                        return router.health().channels.map(\.transportDroppedFrames) == [dropped]
                    })
                #expect(remote.statistics.slowConsumerReports >= 1)
                #expect(router.health().description.contains("transport dropped"))
            }
        }
    }

    /// An envelope of the gateway's epoch and a ticker frame.
    static func frame(sequence: UInt32) -> [UInt8] {
        let json = Array(
            #"{"type":"ticker","code":"KRW-BTC","trade_price":116539000.0,"change":"RISE","trade_volume":0.002,"acc_trade_volume_24h":2291.6,"acc_trade_price_24h":266503719023.5,"timestamp":1790134742106,"trade_timestamp":1790134742051,"stream_type":"REALTIME"}"#
                .utf8)
        return BusEnvelope(flags: [], epoch: 3, receivedAt: UnixTime(nanoseconds: 1), generation: 1, sequence: sequence)
            .message(carrying: json)
    }
}
