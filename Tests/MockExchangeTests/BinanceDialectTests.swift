import Foundation
import MarketStreamCore
import MarketStreamTransport
import MockExchange
import NIOHTTP1
import Testing

/// The mock's Binance dialect over a real socket: what a Binance spot client sees.
@Suite(.timeLimit(.minutes(1))) struct BinanceDialectTests {
    @Test func acknowledgementsListsAndErrorsKeepTheConnection() async throws {
        try await withMockExchange { _, endpoint in
            try await withSocket(endpoint.webSocketBase + "/binance/stream") { socket in
                var frames = socket.frames.makeAsyncIterator()
                try await socket.send(
                    #"{"method":"SUBSCRIBE","params":["btckrw@trade","ethkrw@depth5@100ms"],"id":1}"#)
                let ack = await frames.next { $0["id"] as? Int == 1 }
                #expect(ack?.keys.contains("result") == true && ack?["result"] is NSNull)
                let book = await frames.next { $0["stream"] as? String == "ethkrw@depth5@100ms" }
                let data = book?["data"] as? [String: Any]
                #expect((data?["bids"] as? [Any])?.count == 5 && (data?["asks"] as? [Any])?.count == 5)
                #expect(data?["lastUpdateId"] is Int)
                try await socket.send(#"{"method":"UNSUBSCRIBE","params":["btckrw@trade"],"id":2}"#)
                try await socket.send(#"{"method":"LIST_SUBSCRIPTIONS","id":3}"#)
                let list = await frames.next { $0["id"] as? Int == 3 }
                #expect(list?["result"] as? [String] == ["ethkrw@depth5@100ms"])
                try await socket.send(#"{"method":"SUBSCRIBE","params":["btckrw@bogus"],"id":4}"#)
                let error = await frames.next { $0["id"] as? Int == 4 }
                #expect((error?["error"] as? [String: Any])?["code"] as? Int == 2)
                try await socket.send(#"{"method":"SUBSCRIBE","params":["BTCKRW@trade"],"id":5}"#)
                let upper = await frames.next { $0["id"] as? Int == 5 }
                #expect(upper?["error"] != nil, "symbols in stream names are lower case")
                try await socket.send("not json")
                let invalid = await frames.next { $0["error"] != nil }
                #expect(
                    (invalid?["error"] as? [String: Any])?["code"] as? Int == 3, "the connection survives bad input")
            }
        }
    }

    @Test func rawStreamsAreUnwrappedUntilTheCombinedPropertyIsSet() async throws {
        try await withMockExchange { _, endpoint in
            try await withSocket(endpoint.webSocketBase + "/binance/ws") { socket in
                var frames = socket.frames.makeAsyncIterator()
                try await socket.send(#"{"method":"SUBSCRIBE","params":["btckrw@trade"],"id":1}"#)
                let raw = await frames.next { $0["e"] as? String == "trade" }
                #expect(raw?["s"] as? String == "BTCKRW" && raw?["p"] is String && raw?["m"] is Bool)
                try await socket.send(#"{"method":"SET_PROPERTY","params":["combined",true],"id":2}"#)
                _ = await frames.next { $0["id"] as? Int == 2 }
                let wrapped = await frames.next { $0["stream"] != nil }
                #expect(wrapped?["stream"] as? String == "btckrw@trade")
            }
        }
    }

    @Test func aConnectionCarriesAtMostTheStreamLimit() async throws {
        var configuration = MockExchangeConfiguration()
        configuration.binance.streamsPerConnection = 3
        try await withMockExchange(configuration) { _, endpoint in
            try await withSocket(endpoint.webSocketBase + "/binance/stream") { socket in
                var frames = socket.frames.makeAsyncIterator()
                try await socket.send(
                    #"{"method":"SUBSCRIBE","params":["btckrw@trade","btckrw@ticker","ethkrw@trade"],"id":1}"#)
                let ack = await frames.next { $0["id"] as? Int == 1 }
                #expect(ack?["result"] is NSNull)
                try await socket.send(#"{"method":"SUBSCRIBE","params":["xrpkrw@trade"],"id":2}"#)
                let refused = await frames.next { $0["id"] as? Int == 2 }
                #expect(((refused?["error"] as? [String: Any])?["msg"] as? String)?.contains("at most 3") == true)
            }
        }
    }

    @Test func moreMessagesInASecondThanTheBudgetCloseTheConnection() async throws {
        var configuration = MockExchangeConfiguration()
        configuration.binance.messagesPerSecond = 2
        try await withMockExchange(configuration) { _, endpoint in
            let ending = try await withSocket(endpoint.webSocketBase + "/binance/stream") { socket in
                var frames = socket.frames.makeAsyncIterator()
                for id in 1...12 { try await socket.send(#"{"method":"LIST_SUBSCRIPTIONS","id":\#(id)}"#) }
                while await frames.next() != nil {}
            }
            #expect(ending != nil, "the server ended the connection")
        }
    }

    @Test func theServerEndsAConnectionAtItsLifetime() async throws {
        var configuration = MockExchangeConfiguration()
        configuration.binance.connectionLifetime = .milliseconds(300)
        try await withMockExchange(configuration) { _, endpoint in
            let start = ContinuousClock.now
            let ending = try await withSocket(endpoint.webSocketBase + "/binance/stream") { socket in
                var frames = socket.frames.makeAsyncIterator()
                while await frames.next() != nil {}
            }
            #expect(ending?.code == .closedByPeer)
            #expect(ContinuousClock.now - start >= .milliseconds(300))
        }
    }

    @Test func theDepthSnapshotAndTheChangesFollowOnUntilAGap() async throws {
        let configuration = MockExchangeConfiguration(marketCount: 1, updatesPerSecond: 0)
        try await withMockExchange(configuration) { server, endpoint in
            try await withSocket(endpoint.webSocketBase + "/binance/stream") { socket in
                var frames = socket.frames.makeAsyncIterator()
                try await socket.send(#"{"method":"SUBSCRIBE","params":["btcusdt@depth@100ms"],"id":1}"#)
                _ = await frames.next { $0["id"] as? Int == 1 }
                server.advanceMarket(steps: 30)
                let change = await frames.next { $0["stream"] as? String == "btcusdt@depth@100ms" }
                let data = try #require(change?["data"] as? [String: Any])
                #expect(data["e"] as? String == "depthUpdate" && data["s"] as? String == "BTCUSDT")
                let (first, last) = (try #require(data["U"] as? Int), try #require(data["u"] as? Int))
                #expect(first <= last && data["b"] is [Any] && data["a"] is [Any])
                // The snapshot carries the id of the last change published.
                let snapshot = try await rest(.GET, endpoint.restBase + "/binance/api/v3/depth?symbol=BTCUSDT&limit=5")
                let book = try #require(snapshot.json as? [String: Any])
                #expect(snapshot.status == 200 && (book["lastUpdateId"] as? Int ?? 0) >= last)
                #expect((book["bids"] as? [[String]])?.count == 5 && (book["asks"] as? [[String]])?.count == 5)
                // Changes follow on from each other, until an id is skipped.
                var previous = (book["lastUpdateId"] as? Int) ?? last
                server.advanceMarket(steps: 3)
                let following = await frames.next {
                    (($0["data"] as? [String: Any])?["u"] as? Int ?? 0) > previous
                }
                let followingData = try #require(following?["data"] as? [String: Any])
                #expect(followingData["U"] as? Int == previous + 1)
                previous = followingData["u"] as? Int ?? previous
                server.injectBinanceSequenceGap()
                server.advanceMarket(steps: 30)
                // Changes queued before the gap follow on; the first after it skips one id.
                var skipped: Int?
                while skipped == nil, let next = await frames.next(where: { $0["stream"] != nil }),
                    let data = next["data"] as? [String: Any], let first = data["U"] as? Int,
                    let last = data["u"] as? Int
                {
                    if first == previous + 1 { previous = last } else { skipped = first }
                }
                #expect(skipped == previous + 2, "one id skipped")
            }
        }
    }

    @Test func badDepthRequestsAreBinanceErrors() async throws {
        try await withMockExchange { _, endpoint in
            let unknown = try await rest(.GET, endpoint.restBase + "/binance/api/v3/depth?symbol=NOPEUSDT")
            #expect(unknown.status == 400 && (unknown.json as? [String: Any])?["code"] as? Int == -1121)
            let lower = try await rest(.GET, endpoint.restBase + "/binance/api/v3/depth?symbol=btcusdt")
            #expect(lower.status == 400)
            let limit = try await rest(.GET, endpoint.restBase + "/binance/api/v3/depth?symbol=BTCUSDT&limit=0")
            #expect(limit.status == 400 && (limit.json as? [String: Any])?["code"] as? Int == -1100)
        }
    }
}
