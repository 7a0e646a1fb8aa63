import Foundation
import MarketStreamCore
import MarketStreamRouting
import MarketStreamTransport
import NIOPosix
import Synchronization
import UpbitExchange

/// The ceiling: MarketStream's transport with a handler that counts messages and decodes nothing.
struct RawCountingReader: ConnectionHandler {
    let counted = Counted()

    final class Counted: Sendable {
        let messages = Atomic<Int>(0)
    }

    func run(outbound: any WebSocketOutbound) async throws {
        try await outbound.send(.text(#"[{"ticket":"flood"},{"type":"trade","codes":["KRW-BTC"]}]"#))
        try await Task.sleep(for: .seconds(86_400))
    }

    func receive(_ message: WebSocketMessage) { counted.messages.add(1, ordering: .relaxed) }
    func receivedPong() {}
}

/// Messages per second the raw reader takes from `port` over `seconds`, after a 2-second warm-up.
func measureRawReader(port: Int, seconds: Double) async throws -> Double {
    let reader = RawCountingReader()
    return try await withThrowingTaskGroup(of: Double.self) { group in
        group.addTask {
            try await WebSocketTransport.run(
                url: try WebSocketURL("ws://127.0.0.1:\(port)/websocket/v1"),
                configuration: WebSocketTransportConfiguration(),
                eventLoop: MultiThreadedEventLoopGroup.singleton.next(), handler: reader, logger: logger)
            return 0
        }
        group.addTask {
            try await Task.sleep(for: .seconds(2))
            let clock = ContinuousClock()
            let start = clock.now
            let before = reader.counted.messages.load(ordering: .relaxed)
            try await Task.sleep(for: .milliseconds(Int64(seconds * 1_000)))
            let after = reader.counted.messages.load(ordering: .relaxed)
            return Double(after - before) / secondsText(start.duration(to: clock.now))
        }
        let rate = try await group.next() ?? 0
        group.cancelAll()
        return rate
    }
}

/// Trade events per second that reach one subscriber through the Upbit client and the router, with
/// the subscriber on the connection's event loop or on the global pool.
func measureRouted(port: Int, seconds: Double, onLoop: Bool) async throws -> (events: Double, frames: Double) {
    let upbit = try UpbitExchange(configuration: .init(baseURL: "ws://127.0.0.1:\(port)"), logger: logger)
    let router = MarketDataRouter(
        managers: [upbit], configuration: RouterConfiguration(bufferCapacity: 1 << 16, keepsChannelsWarm: false),
        logger: logger)
    return try await withThrowingTaskGroup(of: (Double, Double).self) { group in
        group.addTask {
            try await router.run()
            return (0, 0)
        }
        let trades = try router.subscribe(to: .trade, markets: [MarketCode("KRW-BTC")], policy: .dropOldest)
        let frames: @Sendable () -> Int = {
            router.health().channels.first { $0.channel.channel == .public }?.messagesReceived ?? 0
        }
        let count: @Sendable () async throws -> (Double, Double) = {
            let clock = ContinuousClock()
            let warmUpEnd = clock.now + .seconds(2)
            var start: ContinuousClock.Instant?
            var framesAtStart = 0
            var events = 0
            for try await event in trades {
                guard case .market = event else { continue }
                guard let began = start else {
                    if clock.now >= warmUpEnd {
                        start = clock.now
                        framesAtStart = frames()
                    }
                    continue
                }
                events += 1
                if events % 1_024 == 0, began.duration(to: clock.now) >= .milliseconds(Int64(seconds * 1_000)) {
                    let elapsed = secondsText(began.duration(to: clock.now))
                    return (Double(events) / elapsed, Double(frames() - framesAtStart) / elapsed)
                }
            }
            return (0, 0)
        }
        let result =
            onLoop ? try await withTaskExecutorPreference(upbit.executor) { try await count() } : try await count()
        group.cancelAll()
        return result
    }
}
