import Benchmark
import BinanceExchange
import Foundation
import Logging
import MarketStreamCore
import UpbitExchange
import UpbitWire

/// Upbit frame decoding with the byte scanner, per sample frame (DEFAULT and SIMPLE formats),
/// Binance's documented frames through the Binance module, and Foundation's `JSONDecoder` on the
/// ticker as the baseline measured in the same run.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.throughput, .wallClock, .mallocCountTotal], scalingFactor: .kilo, maxDuration: .seconds(2))

    let samples = URL(
        fileURLWithPath: ProcessInfo.processInfo.environment["MARKETSTREAM_SAMPLES"] ?? "../../shared/upbit/samples")
    let context = DecodeContext(
        exchange: "upbit", channel: .public, generation: ConnectionGeneration(1), receivedAt: UnixTime(milliseconds: 0))
    let decoder = UpbitFrameDecoder()

    /// One benchmark decoding `bytes` once per iteration.
    func decodeBenchmark(_ name: String, _ bytes: [UInt8]) {
        Benchmark(name) { benchmark in
            var output = DecodedFrame()
            for _ in benchmark.scaledIterations {
                output.events.removeAll(keepingCapacity: true)
                try decoder.decode(bytes, context: context, into: &output)
                blackHole(output.events.count)
            }
        }
    }

    for kind in ["ticker", "trade"] {
        for format in ["default", "simple"] {
            guard let data = try? Data(contentsOf: samples.appendingPathComponent("\(kind).\(format).json")) else {
                fatalError("missing sample \(kind).\(format).json under \(samples.path); set MARKETSTREAM_SAMPLES")
            }
            decodeBenchmark("decode \(kind) \(format.uppercased())", Array(data))
        }
    }

    // Upbit's default book depth is 15 levels (the shared sample has 5): the sample's book extended
    // to 15 levels, in both formats, encoded by the module's encoder in Upbit's key order.
    let sampleBook = try! decoder.decodeOne(
        Array(Data(contentsOf: samples.appendingPathComponent("orderbook.default.json"))), context: context)
    for format in ["DEFAULT", "SIMPLE"] {
        let bytes = UpbitEventEncoder.encode(fifteenLevels(sampleBook), simple: format == "SIMPLE")
        decodeBenchmark("decode orderbook (15 levels) \(format)", bytes)
    }

    // Binance's documented payloads (Tests/VenueSamples/binance), through the Binance module's decoder.
    let binanceSamples = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Tests/VenueSamples/binance")
    let binance = try! BinanceExchange(
        configuration: .init(baseURL: "ws://127.0.0.1:1"),
        logger: Logger(label: "bench", factory: { _ in SwiftLogNoOpLogHandler() }))
    let binanceContext = DecodeContext(
        exchange: "binance", channel: .public, generation: ConnectionGeneration(1),
        receivedAt: UnixTime(milliseconds: 0))
    for sample in ["ticker", "trade", "depth5", "kline"] {
        guard let data = try? Data(contentsOf: binanceSamples.appendingPathComponent("\(sample).json")) else {
            fatalError("missing Binance sample \(sample).json under \(binanceSamples.path)")
        }
        let frame = WebSocketMessage.binary(Array(data))
        Benchmark("decode Binance \(sample)") { benchmark in
            var output = DecodedFrame()
            for _ in benchmark.scaledIterations {
                output.events.removeAll(keepingCapacity: true)
                try binance.decode(frame, context: binanceContext, into: &output)
                blackHole(output.events.count)
            }
        }
    }

    let ticker = try! Data(contentsOf: samples.appendingPathComponent("ticker.default.json"))
    Benchmark("baseline: JSONDecoder ticker DEFAULT") { benchmark in
        let decoder = JSONDecoder()
        for _ in benchmark.scaledIterations {
            blackHole(try decoder.decode(FoundationTicker.self, from: ticker))
        }
    }
}

/// The ticker's fields as a plain `Decodable` (prices as `Decimal`, the usual Foundation route).
struct FoundationTicker: Decodable {
    let type: String
    let code: String
    let opening_price: Decimal
    let high_price: Decimal
    let low_price: Decimal
    let trade_price: Decimal
    let prev_closing_price: Decimal
    let change: String
    let change_price: Decimal
    let signed_change_price: Decimal
    let change_rate: Decimal
    let signed_change_rate: Decimal
    let trade_volume: Decimal
    let acc_trade_volume: Decimal
    let acc_trade_volume_24h: Decimal
    let acc_trade_price: Decimal
    let acc_trade_price_24h: Decimal
    let trade_date: String
    let trade_time: String
    let trade_timestamp: Int64
    let ask_bid: String
    let timestamp: Int64
    let stream_type: String
}

extension UpbitFrameDecoder {
    func decodeOne(_ bytes: [UInt8], context: DecodeContext) throws -> MarketEvent {
        var output = DecodedFrame()
        try decode(bytes, context: context, into: &output)
        return output.events[0]
    }
}

/// The book with ten more levels outward (1 000 KRW apart), sizes cycling through the sample's.
func fifteenLevels(_ event: MarketEvent) -> MarketEvent {
    guard case .orderbook(var book) = event.payload, let last = book.units.last else { return event }
    let sizes = book.units
    for index in 1...(15 - book.units.count) {
        let step = ExactDecimal(1_000 * index)
        let size = sizes[index % sizes.count]
        book.units.append(
            Orderbook.Unit(
                askPrice: last.askPrice + step, bidPrice: last.bidPrice - step, askSize: size.askSize,
                bidSize: size.bidSize))
    }
    return event.deriving(kind: event.kind, payload: .orderbook(book))
}
