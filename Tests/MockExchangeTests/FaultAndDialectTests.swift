import Foundation
import Logging
import MarketStreamCore
import MarketStreamRouting
import MarketStreamTransport
import MockExchange
import NIOHTTP1
import Testing

@Suite(.timeLimit(.minutes(1))) struct FaultTests {
    static let subscribe = #"[{"ticket":"f"},{"type":"ticker","codes":["KRW-BTC"]},{"format":"DEFAULT"}]"#
    static let subscribeETH = #"[{"ticket":"f"},{"type":"ticker","codes":["KRW-ETH"]},{"format":"DEFAULT"}]"#

    @Test func droppedConnectionsEndWithoutACloseFrame() async throws {
        try await withMockExchange { server, endpoint in
            let ending = try await withSocket(endpoint.webSocketBase + "/websocket/v1") { socket in
                var frames = socket.frames.makeAsyncIterator()
                try await socket.send(Self.subscribe)
                _ = await frames.next { $0["type"] != nil }
                server.dropConnections()
                while await frames.next() != nil {}
            }
            #expect(ending?.code == .connectionLost)
        }
    }

    @Test func aStalledExchangeSendsNothingButKeepsTheSocket() async throws {
        try await withMockExchange { server, endpoint in
            try await withSocket(endpoint.webSocketBase + "/websocket/v1") { socket in
                var frames = socket.frames.makeAsyncIterator()
                try await socket.send(Self.subscribe)
                _ = await frames.next { $0["type"] != nil }
                server.setFaults(MockFaults(stalled: true))
                server.advanceMarket(steps: 200)
                // Stalled, a new request brings no snapshot either: the list reply comes before any
                // frame of the newly asked market (frames of KRW-BTC queued before the stall may).
                try await socket.send(Self.subscribeETH)
                try await socket.send(#"[{"ticket":"f"},{"method":"LIST_SUBSCRIPTIONS"}]"#)
                let reply = await frames.next { $0["code"] as? String == "KRW-ETH" || $0["method"] != nil }
                #expect(reply?["method"] as? String == "LIST_SUBSCRIPTIONS")
                server.setFaults(MockFaults())
                // The socket is still open: a list request is answered.
                try await socket.send(#"[{"ticket":"f"},{"method":"LIST_SUBSCRIPTIONS"}]"#)
                let list = await frames.next { $0["method"] != nil }
                #expect(list != nil)
                #expect(server.connectionCount == 1)
            }
        }
    }

    @Test func aFrozenConnectionSendsNoDataWhileANewOneIsServed() async throws {
        try await withMockExchange { server, endpoint in
            try await withSocket(endpoint.webSocketBase + "/websocket/v1") { socket in
                var frames = socket.frames.makeAsyncIterator()
                try await socket.send(Self.subscribe)
                _ = await frames.next { $0["type"] != nil }
                server.freezeConnections()
                let frozen = server.upbitConnections()
                #expect(frozen.count == 1 && frozen[0].isFrozen && !frozen[0].isPrivate)
                #expect(
                    frozen.first?.subscriptions == [MockSubscription(type: "ticker", market: try MarketCode("KRW-BTC"))]
                )
                server.advanceMarket(steps: 200)
                // A new request would bring a snapshot; frozen, the list reply comes before any frame
                // of the newly asked market.
                try await socket.send(Self.subscribeETH)
                try await socket.send(#"[{"ticket":"f"},{"method":"LIST_SUBSCRIPTIONS"}]"#)
                let next = await frames.next { $0["code"] as? String == "KRW-ETH" || $0["method"] != nil }
                #expect(next?["method"] as? String == "LIST_SUBSCRIPTIONS")

                try await withSocket(endpoint.webSocketBase + "/websocket/v1") { fresh in
                    var freshFrames = fresh.frames.makeAsyncIterator()
                    try await fresh.send(Self.subscribe)
                    let data = await freshFrames.next { $0["type"] != nil }
                    #expect(data?["code"] as? String == "KRW-BTC")
                    #expect(server.upbitConnections().map(\.isFrozen) == [true, false])
                }
            }
        }
    }

    @Test func forgottenSubscriptionsShowInTheList() async throws {
        try await withMockExchange { server, endpoint in
            try await withSocket(endpoint.webSocketBase + "/websocket/v1") { socket in
                var frames = socket.frames.makeAsyncIterator()
                try await socket.send(Self.subscribe)
                _ = await frames.next { $0["type"] != nil }
                server.forgetSubscriptions(fraction: 1)
                try await socket.send(#"[{"ticket":"f"},{"method":"LIST_SUBSCRIPTIONS"}]"#)
                let list = await frames.next { $0["method"] != nil }
                #expect((list?["result"] as? [Any])?.isEmpty == true)
            }
        }
    }

    @Test func malformedAndErrorFramesAreInjected() async throws {
        try await withMockExchange { server, endpoint in
            try await withSocket(endpoint.webSocketBase + "/websocket/v1") { socket in
                var frames = socket.frames.makeAsyncIterator()
                try await socket.send(Self.subscribe)
                _ = await frames.next { $0["type"] != nil }
                server.sendMalformedFrames()
                var sawMalformed = false
                while let frame = await frames.next() {
                    if frame.json == nil {
                        sawMalformed = true
                        break
                    }
                }
                #expect(sawMalformed)
                server.sendErrorFrames(name: "INVALID_PARAM", message: "injected")
                let error = await frames.next { $0["error"] != nil }
                #expect((error?["error"] as? [String: Any])?["message"] as? String == "injected")
                while await frames.next() != nil {}
            }
        }
    }

    /// `malformedFraction` is a fraction of the frames a connection is sent: the other markets'
    /// events are not drawn for it.
    @Test func theMalformedFractionIsPerFrameSent() async throws {
        var configuration = MockExchangeConfiguration(marketCount: 20, updatesPerSecond: 5_000)
        configuration.faults.malformedFraction = 0.3
        try await withMockExchange(configuration) { _, endpoint in
            try await withSocket(endpoint.webSocketBase + "/websocket/v1") { socket in
                var frames = socket.frames.makeAsyncIterator()
                try await socket.send(Self.subscribe)
                var (good, bad) = (0, 0)
                while good + bad < 200, let frame = await frames.next() {
                    if let object = frame.object {
                        #expect(object["code"] as? String == "KRW-BTC")
                        good += 1
                    } else {
                        bad += 1
                    }
                }
                let fraction = Double(bad) / Double(good + bad)
                #expect(fraction > 0.2 && fraction < 0.4, "\(bad) malformed of \(good + bad)")
            }
        }
    }

    @Test func refusedConnectionsFailTheUpgrade() async throws {
        var configuration = MockExchangeConfiguration()
        configuration.faults.refuseConnections = true
        try await withMockExchange(configuration) { _, endpoint in
            await #expect(throws: (any Error).self) {
                try await withSocket(endpoint.webSocketBase + "/websocket/v1") { _ in }
            }
        }
    }

    @Test func slowModeDelaysFrames() async throws {
        var configuration = MockExchangeConfiguration()
        configuration.updatesPerSecond = 0
        configuration.faults.slowDelay = .milliseconds(200)
        try await withMockExchange(configuration) { _, endpoint in
            try await withSocket(endpoint.webSocketBase + "/websocket/v1") { socket in
                var frames = socket.frames.makeAsyncIterator()
                let start = ContinuousClock.now
                try await socket.send(Self.subscribe)
                _ = await frames.next { $0["type"] != nil }
                #expect(ContinuousClock.now - start >= .milliseconds(200))
            }
        }
    }
}

/// A second server on a taken port fails with a typed error: its endpoint waiters and `run()` see
/// it, nothing hangs.
@Suite(.timeLimit(.minutes(1))) struct ListenFailureTests {
    @Test func aTakenPortIsATypedErrorForTheEndpointAndRun() async throws {
        try await withMockExchange { _, endpoint in
            let second = MockExchangeServer(
                configuration: MockExchangeConfiguration(port: endpoint.port), logger: quietLogger)
            let running = Task { try await second.run() }
            await #expect(
                throws: ListenFailure(host: "127.0.0.1", port: endpoint.port, reason: "address already in use")
            ) {
                try await second.endpoint()
            }
            await #expect(throws: ListenFailure.self) { try await running.value }
            #expect(
                ListenFailure(host: "127.0.0.1", port: endpoint.port, reason: "address already in use").description
                    == "cannot listen on 127.0.0.1:\(endpoint.port): address already in use")
        }
    }
}
