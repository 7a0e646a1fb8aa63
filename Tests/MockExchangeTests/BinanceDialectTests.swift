import Foundation
import MarketStreamCore
import MarketStreamTransport
import MockExchange
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
}
