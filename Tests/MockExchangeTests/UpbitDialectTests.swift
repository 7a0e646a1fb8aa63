import Foundation
import HTTPTypes
import MarketStreamCore
import MockExchange
import Testing

/// PROTOCOL.md rule by rule, over a real socket on 127.0.0.1.
@Suite(.timeLimit(.minutes(1))) struct UpbitDialectTests {
    static func request(_ types: String, format: String? = "DEFAULT", ticket: String = "t-1") -> String {
        "[{\"ticket\":\"\(ticket)\"},\(types)\(format.map { ",{\"format\":\"\($0)\"}" } ?? "")]"
    }

    @Test func aSubscriptionStartsWithOneSnapshotPerCodeThenRealtimeInBinaryFrames() async throws {
        try await withMockExchange { _, endpoint in
            try await withSocket(endpoint.webSocketBase + "/websocket/v1") { socket in
                try await socket.send(Self.request(#"{"type":"ticker","codes":["KRW-BTC","KRW-ETH"]}"#))
                var frames = socket.frames.makeAsyncIterator()
                var snapshots: Set<String> = []
                var sawRealtime = false
                while !sawRealtime, let frame = await frames.next() {
                    guard case .binary = frame, let object = frame.object else {
                        Issue.record("expected binary JSON, got \(frame)")
                        return
                    }
                    #expect(object["type"] as? String == "ticker")
                    if object["stream_type"] as? String == "SNAPSHOT" {
                        #expect(!snapshots.contains(object["code"] as! String), "one snapshot per code")
                        snapshots.insert(object["code"] as! String)
                    } else {
                        sawRealtime = true
                        #expect(snapshots == ["KRW-BTC", "KRW-ETH"], "snapshots come first")
                    }
                }
                #expect(sawRealtime)
            }
        }
    }

    @Test func waitingForASubscriberReturnsOnceAClientSubscribes() async throws {
        try await withMockExchange { server, endpoint in
            // Nobody has subscribed: only cancelling ends a wait.
            let cancelled = Task { await server.waitForSubscriber() }
            cancelled.cancel()
            await cancelled.value
            let waiting = Task { await server.waitForSubscriber() }
            try await withSocket(endpoint.webSocketBase + "/websocket/v1") { socket in
                // Connected but not subscribed: nobody to wait for yet.
                #expect(server.upbitConnections().allSatisfy { $0.subscriptions.isEmpty })
                try await socket.send(Self.request(#"{"type":"ticker","codes":["KRW-BTC"]}"#))
                await waiting.value
                #expect(server.upbitConnections().contains { !$0.subscriptions.isEmpty })
            }
        }
    }

    @Test func eachRequestReplacesTheWholeSet() async throws {
        try await withMockExchange { server, endpoint in
            try await withSocket(endpoint.webSocketBase + "/websocket/v1") { socket in
                var frames = socket.frames.makeAsyncIterator()
                try await socket.send(Self.request(#"{"type":"ticker","codes":["KRW-BTC"]}"#))
                _ = await frames.next { $0["code"] as? String == "KRW-BTC" }
                try await socket.send(Self.request(#"{"type":"trade","codes":["KRW-ETH"]}"#))
                try await socket.send(Self.request(#"{"method":"LIST_SUBSCRIPTIONS"}"#))
                let list = await frames.next { $0["method"] as? String == "LIST_SUBSCRIPTIONS" }
                let result = list?["result"] as? [[String: Any]]
                #expect(result?.count == 1)
                #expect(result?.first?["type"] as? String == "trade")
                #expect(result?.first?["codes"] as? [String] == ["KRW-ETH"])
                #expect(list?["ticket"] as? String == "t-1")
                // A query, as Upbit documents it: the set it reported keeps streaming.
                server.advanceMarket(steps: 200)
                let trade = await frames.next { $0["type"] as? String == "trade" }
                #expect(trade?["code"] as? String == "KRW-ETH", "LIST_SUBSCRIPTIONS left the set alone")
            }
        }
    }

    @Test func snapshotOnlyRealtimeOnlyDepthAndIgnoredCodes() async throws {
        try await withMockExchange { _, endpoint in
            try await withSocket(endpoint.webSocketBase + "/websocket/v1") { socket in
                var frames = socket.frames.makeAsyncIterator()
                try await socket.send(
                    Self.request(
                        #"{"type":"ticker","codes":["KRW-XRP"],"is_only_snapshot":true},"#
                            + #"{"type":"trade","codes":["KRW-BTC"],"is_only_realtime":true},"#
                            + #"{"type":"orderbook","codes":["KRW-ETH.5","krw-btc","KRW-NOPE"],"level":0}"#))
                let book = await frames.next { $0["type"] as? String == "orderbook" }
                #expect(book?["code"] as? String == "KRW-ETH", "the depth suffix is not echoed in code")
                #expect((book?["orderbook_units"] as? [Any])?.count == 5)
                try await socket.send(Self.request(#"{"method":"LIST_SUBSCRIPTIONS"}"#, format: nil))
                let list = await frames.next { $0["method"] as? String == "LIST_SUBSCRIPTIONS" }
                let result = (list?["result"] as? [[String: Any]]) ?? []
                let types = result.map { $0["type"] as? String ?? "" }.sorted()
                #expect(types == ["orderbook", "trade"], "snapshot-only topics do not stay subscribed")
                #expect(result.first { $0["type"] as? String == "orderbook" }?["codes"] as? [String] == ["KRW-ETH.5"])
            }
        }
    }

    @Test func realtimeOnlyTopicsGetNoSnapshot() async throws {
        try await withMockExchange { server, endpoint in
            try await withSocket(endpoint.webSocketBase + "/websocket/v1") { socket in
                var frames = socket.frames.makeAsyncIterator()
                try await socket.send(Self.request(#"{"type":"ticker","codes":["KRW-BTC"],"is_only_realtime":true}"#))
                server.advanceMarket(steps: 40)
                let first = await frames.next { $0["type"] as? String == "ticker" }
                #expect(first?["stream_type"] as? String == "REALTIME")
            }
        }
    }

    @Test(arguments: ["SIMPLE", "JSON_LIST", "SIMPLE_LIST"])
    func formats(format: String) async throws {
        try await withMockExchange { _, endpoint in
            try await withSocket(endpoint.webSocketBase + "/websocket/v1") { socket in
                var frames = socket.frames.makeAsyncIterator()
                try await socket.send(Self.request(#"{"type":"trade","codes":["KRW-BTC"]}"#, format: format))
                guard let frame = await frames.next() else {
                    Issue.record("no frame")
                    return
                }
                let isList = format.hasSuffix("LIST")
                let object = isList ? (frame.json as? [[String: Any]])?.first : frame.object
                #expect((frame.json is [Any]) == isList)
                let simple = format.hasPrefix("SIMPLE")
                #expect(object?[simple ? "ty" : "type"] as? String == "trade")
                #expect(object?[simple ? "cd" : "code"] as? String == "KRW-BTC")
                #expect(object?[simple ? "sid" : "sequential_id"] != nil)
            }
        }
    }

    @Test(arguments: [
        ("hello", "WRONG_FORMAT"),
        (#"{"ticket":"x"}"#, "WRONG_FORMAT"),
        (#"[{"type":"ticker","codes":["KRW-BTC"]}]"#, "NO_TICKET"),
        (#"[{"ticket":"x"},{"codes":["KRW-BTC"]}]"#, "NO_TYPE"),
        (#"[{"ticket":"x"},{"type":"ticker"}]"#, "NO_CODES"),
        (#"[{"ticket":"x"},{"type":"nope","codes":["KRW-BTC"]}]"#, "INVALID_PARAM"),
        (#"[{"ticket":"x"},{"type":"myOrder"}]"#, "INVALID_PARAM"),
    ])
    func invalidRequestsGetAnErrorFrameThenAClose(request: String, error: String) async throws {
        try await withMockExchange { _, endpoint in
            try await withSocket(endpoint.webSocketBase + "/websocket/v1") { socket in
                var frames = socket.frames.makeAsyncIterator()
                try await socket.send(request)
                let frame = await frames.next()
                let name = (frame?.object?["error"] as? [String: Any])?["name"] as? String
                #expect(name == error)
                #expect(await frames.next() == nil, "the server closes after an error")
            }
        }
    }

    @Test func textPingStartsStatusUpFrames() async throws {
        var configuration = MockExchangeConfiguration()
        configuration.statusInterval = .milliseconds(300)
        try await withMockExchange(configuration) { _, endpoint in
            try await withSocket(endpoint.webSocketBase + "/websocket/v1") { socket in
                var frames = socket.frames.makeAsyncIterator()
                try await socket.send("PING")
                let up = await frames.next { $0["status"] != nil }
                #expect(up?["status"] as? String == "UP")
            }
        }
    }

    @Test func idleConnectionsAreDropped() async throws {
        var configuration = MockExchangeConfiguration()
        configuration.idleTimeout = .seconds(1)
        try await withMockExchange(configuration) { _, endpoint in
            try await withSocket(endpoint.webSocketBase + "/websocket/v1") { socket in
                var frames = socket.frames.makeAsyncIterator()
                #expect(await frames.next() == nil, "an idle socket is dropped")
            }
        }
    }

    @Test func tooManyRequestsGetAnErrorAndAClose() async throws {
        try await withMockExchange { _, endpoint in
            try await withSocket(endpoint.webSocketBase + "/websocket/v1") { socket in
                var frames = socket.frames.makeAsyncIterator()
                // Six requests in one burst (written together, not one round trip each), so they
                // arrive within the exchange's one-second window even on a loaded machine.
                let request = Self.request(#"{"type":"ticker","codes":["KRW-BTC"],"is_only_realtime":true}"#)
                try await withThrowingTaskGroup(of: Void.self) { burst in
                    for _ in 0..<6 { burst.addTask { try await socket.send(request) } }
                    try await burst.waitForAll()
                }
                let error = await frames.next { $0["error"] != nil }
                #expect((error?["error"] as? [String: Any])?["name"] as? String == "Too Many Requests")
            }
        }
    }
}
