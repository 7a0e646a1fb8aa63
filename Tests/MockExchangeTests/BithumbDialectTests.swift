import Foundation
import HTTPTypes
import MarketStreamCore
import MockExchange
import NIOHTTP1
import Testing

/// The mock's Bithumb dialect (under `/bithumb`), difference by difference
/// (`shared/research/distributed.md` §4.1), over a real socket on 127.0.0.1.
@Suite(.timeLimit(.minutes(1))) struct MockBithumbDialectTests {
    static func request(_ types: String, format: String = "DEFAULT") -> String {
        "[{\"ticket\":\"b-1\"},\(types),{\"format\":\"\(format)\"}]"
    }

    @Test func booksHaveAtMostFifteenLevelsMicrosecondTimestampsAndLevelOne() async throws {
        try await withMockExchange { _, endpoint in
            try await withSocket(endpoint.webSocketBase + "/bithumb/websocket/v1") { socket in
                var frames = socket.frames.makeAsyncIterator()
                try await socket.send(
                    Self.request(
                        #"{"type":"orderbook","codes":["KRW-BTC.30","KRW-ETH"]},{"type":"trade","codes":["KRW-BTC"]}"#))
                var books: [String: [String: Any]] = [:]
                var trade: [String: Any]?
                while books.count < 2 || trade == nil, let frame = await frames.next(where: { _ in true }) {
                    if frame["type"] as? String == "orderbook" { books[frame["code"] as? String ?? ""] = frame }
                    if frame["type"] as? String == "trade" { trade = frame }
                }
                for (code, book) in books {
                    #expect((book["orderbook_units"] as? [Any])?.count == 15, "\(code): Bithumb's cap is 15 levels")
                    #expect((book["level"] as? NSNumber)?.intValue == 1)
                    let micros = (book["timestamp"] as? NSNumber)?.int64Value ?? 0
                    let millis = (trade?["timestamp"] as? NSNumber)?.int64Value ?? 0
                    #expect(String(micros).count == 16 && abs(micros / 1_000 - millis) < 60_000)
                }
            }
        }
    }

    @Test func tradesAndTickersCarryKSTDatesAndAnEmptyDelistingDate() async throws {
        try await withMockExchange { _, endpoint in
            try await withSocket(endpoint.webSocketBase + "/bithumb/websocket/v1") { socket in
                var frames = socket.frames.makeAsyncIterator()
                try await socket.send(
                    Self.request(
                        #"{"type":"trade","codes":["KRW-BTC"]},{"type":"ticker","codes":["KRW-BTC"]}"#, format: "SIMPLE"
                    ))
                let trade = await frames.next { $0["ty"] as? String == "trade" }
                let ticker = await frames.next { $0["ty"] as? String == "ticker" }
                let tradeTime = (trade?["ttms"] as? NSNumber)?.int64Value ?? 0
                let kst = CivilTime(milliseconds: tradeTime, offsetHours: 9)
                #expect(trade?["tdt"] as? String == kst.dashedDate && trade?["td"] == nil, "SIMPLE spells it tdt")
                #expect(trade?["ttm"] as? String == kst.colonTime)
                #expect(ticker?["dd"] as? String == "", "Bithumb's null date is an empty string")
            }
        }
    }

    @Test func camelCaseFlagsAreReadAndSnakeCaseOnesIgnored() async throws {
        try await withMockExchange { server, endpoint in
            // Trades first, so that a trade snapshot exists to be sent.
            server.advanceMarket(steps: 500)
            try await withSocket(endpoint.webSocketBase + "/bithumb/websocket/v1") { socket in
                var frames = socket.frames.makeAsyncIterator()
                try await socket.send(
                    Self.request(
                        #"{"type":"ticker","codes":["KRW-BTC"],"isOnlyRealtime":true},"#
                            + #"{"type":"trade","codes":["KRW-ETH"],"is_only_realtime":true}"#))
                server.advanceMarket(steps: 500)
                var first: [String: String] = [:]
                while first.count < 2, let frame = await frames.next(where: { _ in true }) {
                    guard let type = frame["type"] as? String, first[type] == nil else { continue }
                    first[type] = frame["stream_type"] as? String
                }
                #expect(first["ticker"] == "REALTIME", "isOnlyRealtime was honoured: no snapshot")
                #expect(first["trade"] == "SNAPSHOT", "is_only_realtime means nothing to Bithumb")
            }
        }
    }

    @Test(arguments: [
        #"{"type":"candle.1m","codes":["KRW-BTC"]}"#, #"{"type":"ticker","codes":[]}"#,
    ])
    func candlesAndEmptyCodesAreInvalidParams(type: String) async throws {
        try await withMockExchange { _, endpoint in
            try await withSocket(endpoint.webSocketBase + "/bithumb/websocket/v1") { socket in
                var frames = socket.frames.makeAsyncIterator()
                try await socket.send(Self.request(type))
                let error = await frames.next { $0["error"] != nil }?["error"] as? [String: Any]
                #expect(error?["name"] as? String == "INVALID_PARAM")
            }
        }
    }

    @Test func thePrivateV2PathWantsATimestampClaim() async throws {
        try await withMockExchange { _, endpoint in
            var accepted: [Bool] = []
            for timestamp in [nil, Int64(1_790_134_742_000)] {
                let headers: HTTPHeaders = ["Authorization": "Bearer \(TestJWT.token(timestamp: timestamp))"]
                let result = MutexBox<Bool?>(nil)
                try await withSocket(endpoint.webSocketBase + "/bithumb/websocket/v2/private", headers: headers) {
                    socket in
                    var frames = socket.frames.makeAsyncIterator()
                    try await socket.send(#"[{"ticket":"p-1"},{"type":"myAsset"},{"format":"DEFAULT"}]"#)
                    try await socket.send(#"[{"ticket":"p-1"},{"method":"LIST_SUBSCRIPTIONS"}]"#)
                    let first = await frames.next { _ in true }
                    result.set((first?["error"] as? [String: Any])?["name"] as? String != "INVALID_AUTH")
                }
                accepted.append(result.get() ?? false)
            }
            #expect(accepted == [false, true])
        }
    }
}
