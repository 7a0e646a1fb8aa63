// swift-tools-version: 6.1
import PackageDescription

// MarketStream's benchmarks (ordo-one/package-benchmark). Run from this directory:
//   swift package benchmark
// A sub-package, so the library's own builds and tests never pay for the benchmark tooling.
let package = Package(
    name: "MarketStreamBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "MarketStream", path: ".."),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
    ],
    targets: [
        // What several benchmarks share: the Upbit module fed frames without a socket.
        .target(
            name: "BenchmarkSupport",
            dependencies: [
                .product(name: "MarketStreamCore", package: "MarketStream"),
                .product(name: "UpbitExchange", package: "MarketStream"),
            ]
        ),
        .executableTarget(
            name: "PluginBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "MarketStreamCore", package: "MarketStream"),
                .product(name: "MarketStreamPlugins", package: "MarketStream"),
                // Built (and linked) so the libraries sit next to the benchmark binary.
                .product(name: "TradeImbalance", package: "MarketStream"),
                .product(name: "Spread", package: "MarketStream"),
            ],
            path: "Benchmarks/PluginBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "DecodeBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "MarketStreamCore", package: "MarketStream"),
                .product(name: "UpbitExchange", package: "MarketStream"),
                .product(name: "UpbitWire", package: "MarketStream"),
                .product(name: "BinanceExchange", package: "MarketStream"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Benchmarks/DecodeBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "RoutingBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "MarketStreamCore", package: "MarketStream"),
                .product(name: "MarketStreamRouting", package: "MarketStream"),
                .product(name: "MarketStreamTesting", package: "MarketStream"),
                .product(name: "UpbitExchange", package: "MarketStream"),
                .product(name: "Logging", package: "swift-log"),
                "BenchmarkSupport",
            ],
            path: "Benchmarks/RoutingBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        // End to end over loopback, server → Upbit client → router → subscriber: latency at a steady
        // rate (HdrHistogram) and throughput (`swift run -c release EndToEnd latency|throughput`).
        .executableTarget(
            name: "EndToEnd",
            dependencies: [
                .product(name: "MarketStreamCore", package: "MarketStream"),
                .product(name: "MarketStreamTransport", package: "MarketStream"),
                .product(name: "MarketStreamRouting", package: "MarketStream"),
                .product(name: "UpbitExchange", package: "MarketStream"),
                .product(name: "MockExchange", package: "MarketStream"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // A fixed decode loop for callgrind (`valgrind --tool=callgrind .build/release/DecodeProfile`).
        .executableTarget(
            name: "DecodeProfile",
            dependencies: [
                .product(name: "MarketStreamCore", package: "MarketStream"),
                .product(name: "BinanceExchange", package: "MarketStream"),
                .product(name: "MarketStreamRouting", package: "MarketStream"),
                .product(name: "UpbitExchange", package: "MarketStream"),
                .product(name: "Logging", package: "swift-log"),
                "BenchmarkSupport",
            ]
        ),
        // No growth under load, churn and faults (`swift run -c release Soak [MINUTES]`).
        .executableTarget(
            name: "Soak",
            dependencies: [
                .product(name: "MarketStreamCore", package: "MarketStream"),
                .product(name: "MarketStreamRouting", package: "MarketStream"),
                .product(name: "UpbitExchange", package: "MarketStream"),
                .product(name: "MockExchange", package: "MarketStream"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Faults at random under churn: nothing lost, nothing stale
        // (`swift run -c release Chaos [SECONDS] [SEED] [upbit|binance]`).
        .executableTarget(
            name: "Chaos",
            dependencies: [
                .product(name: "MarketStreamCore", package: "MarketStream"),
                .product(name: "MarketStreamRouting", package: "MarketStream"),
                .product(name: "UpbitExchange", package: "MarketStream"),
                .product(name: "BinanceExchange", package: "MarketStream"),
                .product(name: "BinanceWire", package: "MarketStream"),
                .product(name: "MockExchange", package: "MarketStream"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The mock exchange's delivery rate to one raw WebSocket client (`swift run -c release MockThroughput`).
        .executableTarget(
            name: "MockThroughput",
            dependencies: [
                .product(name: "MockExchange", package: "MarketStream"),
                .product(name: "MarketStreamCore", package: "MarketStream"),
                .product(name: "MarketStreamTransport", package: "MarketStream"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
