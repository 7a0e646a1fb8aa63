import Logging
import MarketStreamCore
import MarketStreamRouting
import MarketStreamTransport
import MockExchange
import NIOCore
import Synchronization
import Testing
import UpbitExchange

/// Frames are decoded and routed on the module's event loop, and a consumer that prefers the
/// module's executor runs there too; one without the preference does not.
@Suite struct EventLoopExecutorTests {
    /// Derives nothing; records whether each ticker reached it on the module's event loop.
    struct LoopProbe: DataTypeHandler {
        let eventLoop: any EventLoop
        let observations: Observations
        var producedKind: DataKind { try! .custom("loop-probe") }
        var consumedKinds: [DataKind] { [.ticker] }

        func makeProcessor(exchange: ExchangeID, market: MarketCode) throws -> any DataTypeProcessor {
            Processor(eventLoop: eventLoop, observations: observations)
        }

        struct Processor: DataTypeProcessor {
            let eventLoop: any EventLoop
            let observations: Observations
            mutating func process(_ event: MarketEvent) throws -> [MarketPayload] {
                observations.record(eventLoop.inEventLoop)
                return [.custom(CustomPayload([("n", 1)]))]
            }
        }
    }

    final class Observations: Sendable {
        private let values = Mutex<[Bool]>([])
        func record(_ value: Bool) { values.withLock { $0.append(value) } }
        var all: [Bool] { values.withLock { $0 } }
    }

    /// Whether each of the first `count` tickers was handed to this code on `eventLoop`.
    nonisolated static func consume(_ subscription: Subscription, count: Int, eventLoop: any EventLoop) async throws
        -> [Bool]
    {
        var seen: [Bool] = []
        for try await event in subscription where event.marketEvent != nil {
            seen.append(eventLoop.inEventLoop)
            if seen.count == count { break }
        }
        return seen
    }

    @Test func framesAreRoutedOnTheModulesLoopAndPreferringConsumersRunThere() async throws {
        let server = MockExchangeServer(
            configuration: MockExchangeConfiguration(updatesPerSecond: 200), logger: quietLogger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await server.run() }
            defer { group.cancelAll() }
            let executor = EventLoopTaskExecutor()
            let observations = Observations()
            let upbit = try UpbitExchange(
                configuration: .init(baseURL: try await server.endpoint().webSocketBase), logger: quietLogger,
                executor: executor)
            let router = MarketDataRouter(
                managers: [upbit],
                handlers: try HandlerRegistry([LoopProbe(eventLoop: executor.eventLoop, observations: observations)]),
                configuration: RouterConfiguration(debounce: .milliseconds(20), gracePeriod: .zero), logger: quietLogger
            )
            group.addTask { try await router.run() }
            let market = server.markets[0]
            let probe = try router.subscribe(to: .custom("loop-probe"), markets: [market])
            let onLoop = try router.subscribe(to: .ticker, markets: [market])
            let onPool = try router.subscribe(to: .ticker, markets: [market])

            let preferring = try await withTaskExecutorPreference(executor) {
                try await Self.consume(onLoop, count: 5, eventLoop: executor.eventLoop)
            }
            let plain = try await Self.consume(onPool, count: 5, eventLoop: executor.eventLoop)
            #expect(preferring == Array(repeating: true, count: 5))
            #expect(plain == Array(repeating: false, count: 5))
            let routed = observations.all
            #expect(routed.count >= 5 && routed.allSatisfy { $0 }, "decoded and routed on the loop: \(routed)")
            _ = probe
        }
    }
}
