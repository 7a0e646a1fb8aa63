// swift-tools-version: 6.1
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

// MarketStream past one process: the NATS gateway and the NATS-backed exchange module, and
// recordings. A sub-package, so the library's own two commands never need a system package: this
// one needs Debian's libnats-dev (the official C client nats.c) and libzstd-dev to build, and
// nats-server (and zstd, chromium) to test.
let package = Package(
    name: "MarketStreamIntegrations",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "MarketStreamNATS", targets: ["MarketStreamNATS"]),
        .library(name: "MarketStreamRecording", targets: ["MarketStreamRecording"]),
        .executable(name: "marketstream-gateway", targets: ["marketstream-gateway"]),
        .executable(name: "momentum-backtest", targets: ["momentum-backtest"]),
    ],
    dependencies: [
        .package(name: "MarketStream", path: ".."),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/pointfreeco/swift-clocks.git", from: "1.1.1"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1", traits: []),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CNATS", pkgConfig: "libnats", providers: [.apt(["libnats-dev"])]),
        .systemLibrary(
            name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),
        // Recordings of a venue's frames (MSR1: zstd blocks, metadata in skippable frames).
        .target(
            name: "MarketStreamRecording",
            dependencies: [
                "CZstd",
                .product(name: "MarketStreamCore", package: "MarketStream"),
                .product(name: "MarketStreamRouting", package: "MarketStream"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Clocks", package: "swift-clocks"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "MarketStreamNATS",
            dependencies: [
                "CNATS",
                .product(name: "MarketStreamCore", package: "MarketStream"),
                .product(name: "MarketStreamRouting", package: "MarketStream"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Clocks", package: "swift-clocks"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "marketstream-gateway",
            dependencies: [
                "MarketStreamNATS",
                "MarketStreamRecording",
                .product(name: "MarketStreamCore", package: "MarketStream"),
                .product(name: "MarketStreamRouting", package: "MarketStream"),
                .product(name: "MockExchange", package: "MarketStream"),
                .product(name: "UpbitExchange", package: "MarketStream"),
                .product(name: "BinanceExchange", package: "MarketStream"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: swiftSettings
        ),
        // momentum-trader's strategy over recordings (a backtest with the paper account).
        .executableTarget(
            name: "momentum-backtest",
            dependencies: [
                "MarketStreamRecording",
                .product(name: "MarketStreamCore", package: "MarketStream"),
                .product(name: "MarketStreamRouting", package: "MarketStream"),
                .product(name: "MomentumStrategy", package: "MarketStream"),
                .product(name: "UpbitExchange", package: "MarketStream"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // The numbers of the README's "Past one machine": `swift run -c release GatewayBenchmark`.
        .executableTarget(
            name: "GatewayBenchmark",
            dependencies: [
                "MarketStreamNATS",
                .product(name: "MarketStreamCore", package: "MarketStream"),
                .product(name: "MarketStreamRouting", package: "MarketStream"),
                .product(name: "UpbitExchange", package: "MarketStream"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ],
            swiftSettings: swiftSettings
        ),
        // The recording figures: `swift run -c release --package-path Integrations RecordingBenchmark`.
        .executableTarget(
            name: "RecordingBenchmark",
            dependencies: [
                "MarketStreamRecording",
                .product(name: "MarketStreamCore", package: "MarketStream"),
                .product(name: "MarketStreamRouting", package: "MarketStream"),
                .product(name: "UpbitExchange", package: "MarketStream"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "MarketStreamNATSTests",
            dependencies: [
                "MarketStreamNATS",
                .product(name: "MarketStreamCore", package: "MarketStream"),
                .product(name: "MarketStreamRouting", package: "MarketStream"),
                .product(name: "MarketStreamTesting", package: "MarketStream"),
                .product(name: "MockExchange", package: "MarketStream"),
                .product(name: "UpbitExchange", package: "MarketStream"),
                .product(name: "MarketStreamTransport", package: "MarketStream"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "MarketStreamRecordingTests",
            dependencies: [
                "MarketStreamRecording",
                .product(name: "MarketStreamCore", package: "MarketStream"),
                .product(name: "MarketStreamTesting", package: "MarketStream"),
                .product(name: "MarketStreamRouting", package: "MarketStream"),
                .product(name: "MockExchange", package: "MarketStream"),
                .product(name: "UpbitExchange", package: "MarketStream"),
                .product(name: "BinanceExchange", package: "MarketStream"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
    ],
    swiftLanguageModes: [.v6]
)
