import Foundation
import HTTPTypes
import MarketStreamCore
import MockExchange
import NIOHTTP1
import Testing

/// The shared sample frames (`../shared/upbit/samples`), written from PROTOCOL.md's field tables.
enum UpbitSamples {
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("shared/upbit/samples")

    static func keys(_ name: String) throws -> Set<String> {
        let data = try Data(contentsOf: directory.appendingPathComponent(name))
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        return Set(object.keys)
    }
}

@Suite(.timeLimit(.minutes(1))) struct FidelityTests {
    @Test(arguments: ["DEFAULT", "SIMPLE"])
    func publicFramesCarryExactlyUpbitsFields(format: String) async throws {
        let suffix = format == "DEFAULT" ? "default" : "simple"
        let expected: [String: Set<String>] = [
            "ticker": try UpbitSamples.keys("ticker.\(suffix).json"),
            "trade": try UpbitSamples.keys("trade.\(suffix).json"),
            "orderbook": try UpbitSamples.keys("orderbook.\(suffix).json"),
            "candle.1m": try UpbitSamples.keys("candle-1m.\(suffix).json"),
        ]
        try await withMockExchange { _, endpoint in
            try await withSocket(endpoint.webSocketBase + "/websocket/v1") { socket in
                var frames = socket.frames.makeAsyncIterator()
                let types = expected.keys.map { #"{"type":"\#($0)","codes":["KRW-BTC"]}"# }.joined(separator: ",")
                try await socket.send(#"[{"ticket":"fidelity"},\#(types),{"format":"\#(format)"}]"#)
                var seen: [String: Set<String>] = [:]
                while seen.count < expected.count, let object = await frames.next(where: { _ in true }) {
                    let type = object[format == "DEFAULT" ? "type" : "ty"] as? String ?? "?"
                    seen[type] = Set(object.keys)
                }
                #expect(seen == expected)
            }
        }
    }

    @Test(arguments: ["DEFAULT", "SIMPLE"])
    func privateFramesCarryExactlyUpbitsFields(format: String) async throws {
        let suffix = format == "DEFAULT" ? "default" : "simple"
        let expected = [
            "myOrder": try UpbitSamples.keys("myOrder.\(suffix).json"),
            "myAsset": try UpbitSamples.keys("myAsset.\(suffix).json"),
        ]
        var configuration = MockExchangeConfiguration(credentials: [testCredentials])
        configuration.updatesPerSecond = 0
        try await withMockExchange(configuration) { _, endpoint in
            try await withSocket(
                endpoint.webSocketBase + "/websocket/v1/private",
                headers: ["Authorization": "Bearer \(TestJWT.token())"]
            ) { socket in
                var frames = socket.frames.makeAsyncIterator()
                try await socket.send(
                    #"[{"ticket":"p"},{"type":"myOrder"},{"type":"myAsset"},{"format":"\#(format)"}]"#)
                try await socket.send(#"[{"ticket":"p"},{"method":"LIST_SUBSCRIPTIONS"}]"#)
                _ = await frames.next { $0["method"] != nil || $0["mthd"] != nil }
                let body = #"{"market":"KRW-BTC","side":"bid","volume":"0.01","price":"100000000","ord_type":"limit"}"#
                let query = "market=KRW-BTC&side=bid&volume=0.01&price=100000000&ord_type=limit"
                _ = try await rest(
                    .POST, endpoint.restBase + "/v1/orders", token: TestJWT.token(query: query), body: body)
                var seen: [String: Set<String>] = [:]
                while seen.count < expected.count, let object = await frames.next(where: { _ in true }) {
                    seen[object[format == "DEFAULT" ? "type" : "ty"] as? String ?? "?"] = Set(object.keys)
                }
                #expect(seen == expected)
            }
        }
    }

    @Test func replayModeServesPreEncodedUpdatesInALoop() async throws {
        var configuration = MockExchangeConfiguration(updatesPerSecond: 2_000)
        configuration.marketCount = 3
        configuration.replaySteps = 20
        try await withMockExchange(configuration) { _, endpoint in
            try await withSocket(endpoint.webSocketBase + "/websocket/v1") { socket in
                var frames = socket.frames.makeAsyncIterator()
                let request =
                    #"[{"ticket":"r"},{"type":"trade","codes":["KRW-BTC","KRW-ETH","KRW-XRP"],"is_only_realtime":true}]"#
                try await socket.send(request)
                var ids: [Int64] = []
                // More trades than the 20 pre-generated updates hold: the ring repeats.
                while ids.count < 40, let object = await frames.next(where: { $0["type"] as? String == "trade" }) {
                    ids.append((object["sequential_id"] as? NSNumber)?.int64Value ?? 0)
                }
                #expect(ids.count == 40)
                #expect(Set(ids).count <= 20, "the same updates come round again")
            }
        }
    }

    @Test func theSimulatedMarketIsDeterministicAndValid() {
        var a = MarketSimulator(seed: 42, marketCount: 30, startTime: 1_790_000_000_000)
        var b = MarketSimulator(seed: 42, marketCount: 30, startTime: 1_790_000_000_000)
        var c = MarketSimulator(seed: 43, marketCount: 30, startTime: 1_790_000_000_000)
        var differs = false
        for step in 0..<500 {
            let now = Int64(1_790_000_000_000 + step * 10)
            let x = a.step(at: now).map(\.description)
            #expect(x == b.step(at: now).map(\.description))
            differs = differs || x != c.step(at: now).map(\.description)
        }
        #expect(differs, "another seed gives another market")
        let quotes = Set(a.markets.map { String($0.code.quote) })
        #expect(quotes == ["KRW", "BTC", "USDT"])
        for market in a.markets {
            #expect(market.book.count == 30)
            #expect(market.book[0].bidPrice < market.book[0].askPrice)
            #expect(market.recentTrades.allSatisfy { $0.id > 1 << 53 })
        }
    }
}
