import Benchmark
import Foundation
import MarketStreamCore
import MarketStreamPlugins

/// Plugin call overhead through the C ABI: one trade event into the C TradeImbalance plugin, one
/// 15-level order book into the Swift Spread plugin, and the same imbalance logic as an in-process
/// Swift handler as the baseline measured in the same run.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.throughput, .wallClock, .mallocCountTotal], scalingFactor: .kilo, maxDuration: .seconds(2))

    let directory = PluginLoader.programDirectory
    let loader = PluginLoader(searchPath: [ProcessInfo.processInfo.environment["MARKETSTREAM_PLUGIN_DIR"] ?? directory])
    let market = try! MarketCode("KRW-BTC")
    let trades = (0..<1_000).map { index in tradeEvent(index, market: market) }
    let book = MarketEvent(
        exchange: "upbit", kind: .orderbook(depth: .fifteen), market: market, stream: .realtime,
        timestamp: UnixTime(milliseconds: 1), receivedAt: UnixTime(milliseconds: 1),
        generation: ConnectionGeneration(1),
        payload: .orderbook(
            Orderbook(
                totalAskSize: ExactDecimal(significand: 123_456_789, exponent: -8),
                totalBidSize: ExactDecimal(significand: 987_654_321, exponent: -8),
                units: (0..<15).map { level in
                    Orderbook.Unit(
                        askPrice: ExactDecimal(116_001_000 + level * 1_000),
                        bidPrice: ExactDecimal(115_999_000 - level * 1_000),
                        askSize: ExactDecimal(significand: Int128(level + 1) * 31_415, exponent: -8),
                        bidSize: ExactDecimal(significand: Int128(level + 1) * 27_182, exponent: -8))
                })))

    Benchmark("plugin: C TradeImbalance, trade events") { benchmark in
        var processor = try loader.load("TradeImbalance").makeProcessor(exchange: "upbit", market: market)
        benchmark.startMeasurement()
        for index in benchmark.scaledIterations {
            blackHole(try processor.process(trades[index % trades.count]))
        }
    }

    Benchmark("baseline: the same imbalance as a Swift handler in-process") { benchmark in
        var processor = SwiftImbalance()
        benchmark.startMeasurement()
        for index in benchmark.scaledIterations {
            blackHole(processor.process(trades[index % trades.count]))
        }
    }

    Benchmark("plugin: Swift Spread, 15-level order books") { benchmark in
        var processor = try loader.load("Spread").makeProcessor(exchange: "upbit", market: market)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            blackHole(try processor.process(book))
        }
    }
}

/// One synthetic trade: prices and volumes vary, a third of them sells, 20 per second.
func tradeEvent(_ index: Int, market: MarketCode) -> MarketEvent {
    let time = UnixTime(milliseconds: Int64(index) * 50)
    let price = ExactDecimal(significand: 116_000_000 + Int128(index % 7) * 1_000)
    let volume = ExactDecimal(significand: Int128(index % 13 + 1) * 1_234_567, exponent: -8)
    let trade = Trade(
        id: Int64(index), price: price, size: volume, side: index % 3 == 0 ? .ask : .bid, time: time)
    return MarketEvent(
        exchange: "upbit", kind: .trade, market: market, stream: .realtime, timestamp: time, receivedAt: time,
        generation: ConnectionGeneration(1), payload: .trade(trade))
}

/// TradeImbalance's logic written as an in-process Swift processor: the baseline.
struct SwiftImbalance {
    private var window: [(time: Int64, volume: ExactDecimal, isBuy: Bool)] = []
    private var head = 0
    private var buy = ExactDecimal.zero
    private var sell = ExactDecimal.zero

    mutating func process(_ event: MarketEvent) -> [MarketPayload] {
        guard case .trade(let trade) = event.payload else { return [] }
        let now = trade.time.milliseconds
        let isBuy = trade.side == .bid
        window.append((now, trade.size, isBuy))
        if isBuy { buy = buy + trade.size } else { sell = sell + trade.size }
        while head < window.count, window[head].time <= now - 60_000 {
            if window[head].isBuy { buy = buy - window[head].volume } else { sell = sell - window[head].volume }
            head += 1
        }
        if head > 1_024 {
            window.removeFirst(head)
            head = 0
        }
        let total = buy + sell
        let imbalance = total.isZero ? .zero : ((buy - sell).divided(by: total, scale: 6) ?? .zero)
        return [
            .custom(
                CustomPayload([
                    ("buy_volume", buy), ("sell_volume", sell), ("imbalance", imbalance),
                    ("trades", ExactDecimal(window.count - head)),
                ]))
        ]
    }
}
