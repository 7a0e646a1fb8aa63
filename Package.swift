// swift-tools-version: 6.1
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

/// Plugins built only for the loader's tests: each is broken in one way (or fails on purpose).
let brokenPluginFixtures = [
    "FixtureNoEntry", "FixtureWrongABI", "FixtureNullFunction", "FixtureEmptyName", "FixtureUnknownInput",
    "FixtureFailing",
]

/// An example program in `Examples/<directory>`: it talks to the mock exchange (or Upbit) through
/// the router, like a user's program would.
func example(_ name: String, in directory: String, also extra: [Target.Dependency] = []) -> Target {
    .executableTarget(
        name: name,
        dependencies: [
            "MarketStreamCore", "MarketStreamRouting", "MockExchange", "UpbitExchange", "BinanceExchange",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ] + extra,
        path: "Examples/" + directory,
        swiftSettings: swiftSettings
    )
}

let package = Package(
    name: "MarketStream",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "MarketStreamCore", targets: ["MarketStreamCore"]),
        .library(name: "MarketStreamRouting", targets: ["MarketStreamRouting"]),
        .library(name: "MarketStreamTransport", targets: ["MarketStreamTransport"]),
        .library(name: "MarketStreamTesting", targets: ["MarketStreamTesting"]),
        .library(name: "UpbitExchange", targets: ["UpbitExchange"]),
        .library(name: "UpbitWire", targets: ["UpbitWire"]),
        .library(name: "MockExchange", targets: ["MockExchange"]),
        .library(name: "BinanceExchange", targets: ["BinanceExchange"]),
        .library(name: "BinanceWire", targets: ["BinanceWire"]),
        .library(name: "MarketStreamPlugins", targets: ["MarketStreamPlugins"]),
        .library(name: "MarketStreamPluginKit", targets: ["MarketStreamPluginKit"]),
        .executable(name: "marketstream", targets: ["marketstream"]),
        .executable(name: "spread-monitor", targets: ["spread-monitor"]),
        .executable(name: "multi-component", targets: ["multi-component"]),
        .executable(name: "two-exchanges", targets: ["two-exchanges"]),
        .executable(name: "momentum-trader", targets: ["momentum-trader"]),
        // The momentum example's strategy, shared by `momentum-trader` (live) and the Integrations
        // package's `momentum-backtest` (over recordings).
        .library(name: "MomentumStrategy", targets: ["MomentumStrategy"]),
        .executable(name: "kimchi-premium", targets: ["kimchi-premium"]),
        // Data-type plugins, loaded at run time with dlopen (`--plugin`).
        .library(name: "Spread", type: .dynamic, targets: ["Spread"]),
        .library(name: "VWAP", type: .dynamic, targets: ["VWAP"]),
        .library(name: "TradeImbalance", type: .dynamic, targets: ["TradeImbalance"]),
    ] + brokenPluginFixtures.map { .library(name: $0, type: .dynamic, targets: [$0]) },
    dependencies: [
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-atomics.git", from: "1.3.0"),
        .package(url: "https://github.com/pointfreeco/swift-clocks.git", from: "1.1.1"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/x-sheep/swift-property-based.git", from: "2.0.1"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        // No traits, as hummingbird-websocket asks: with the default ones here, `swift run` after
        // `swift test` resolved a different trait set and recompiled three Hummingbird modules.
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1", traits: []),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket.git", from: "2.8.1"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.7.4"),
    ],
    targets: [
        .target(
            name: "MarketStreamCore",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "DequeModule", package: "swift-collections"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "MarketStreamTransport",
            dependencies: [
                "MarketStreamCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "DequeModule", package: "swift-collections"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "MarketStreamRouting",
            dependencies: [
                "MarketStreamCore",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "OrderedCollections", package: "swift-collections"),
                .product(name: "HashTreeCollections", package: "swift-collections"),
                .product(name: "Clocks", package: "swift-clocks"),
                .product(name: "Atomics", package: "swift-atomics"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "MarketStreamTesting",
            dependencies: [
                "MarketStreamCore",
                "MarketStreamRouting",
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "UpbitWire",
            dependencies: ["MarketStreamCore"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "UpbitExchange",
            dependencies: [
                "MarketStreamCore",
                "MarketStreamTransport",
                "UpbitWire",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Clocks", package: "swift-clocks"),
                .product(name: "DequeModule", package: "swift-collections"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "BinanceWire",
            dependencies: ["MarketStreamCore"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "BinanceExchange",
            dependencies: [
                "MarketStreamCore",
                "MarketStreamTransport",
                "BinanceWire",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "DequeModule", package: "swift-collections"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "MockExchange",
            dependencies: [
                "MarketStreamCore",
                "UpbitWire",
                "BinanceWire",
                "MarketStreamTransport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "DequeModule", package: "swift-collections"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(name: "CMarketStreamPluginABI"),
        .target(
            name: "MarketStreamPluginKit",
            dependencies: ["CMarketStreamPluginABI", "MarketStreamCore"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "MarketStreamPlugins",
            dependencies: ["CMarketStreamPluginABI", "MarketStreamCore", "MarketStreamPluginKit"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Spread",
            dependencies: ["MarketStreamCore", "MarketStreamPluginKit"],
            path: "Plugins/Spread",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "VWAP",
            dependencies: ["MarketStreamCore", "MarketStreamPluginKit"],
            path: "Plugins/VWAP",
            swiftSettings: swiftSettings
        ),
        .target(name: "TradeImbalance", dependencies: ["CMarketStreamPluginABI"], path: "Plugins/TradeImbalance"),
        .executableTarget(
            name: "marketstream",
            dependencies: [
                "MarketStreamCore",
                "MarketStreamRouting",
                "MarketStreamTesting",
                "MockExchange",
                "UpbitExchange",
                "UpbitWire",
                "BinanceExchange",
                "MarketStreamPlugins",
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Clocks", package: "swift-clocks"),
            ],
            swiftSettings: swiftSettings
        ),
        example("spread-monitor", in: "SpreadMonitor", also: ["MarketStreamPlugins"]),
        example("multi-component", in: "MultiComponent"),
        example("two-exchanges", in: "TwoExchanges"),
        .target(
            name: "MomentumStrategy",
            dependencies: ["MarketStreamCore", "MarketStreamRouting", "MockExchange", "UpbitExchange"],
            path: "Examples/MomentumStrategy",
            swiftSettings: swiftSettings
        ),
        example("momentum-trader", in: "MomentumTrader", also: ["MomentumStrategy"]),
        example("kimchi-premium", in: "KimchiPremium"),
        .testTarget(
            name: "MarketStreamCoreTests",
            dependencies: [
                "MarketStreamCore",
                "MarketStreamTesting",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "MarketStreamRoutingTests",
            dependencies: [
                "MarketStreamCore",
                "MarketStreamRouting",
                "MarketStreamTesting",
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Clocks", package: "swift-clocks"),
                .product(name: "HashTreeCollections", package: "swift-collections"),
                .product(name: "PropertyBased", package: "swift-property-based"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "UpbitExchangeTests",
            dependencies: [
                "MarketStreamCore",
                "MarketStreamTransport",
                "MarketStreamRouting",
                "UpbitExchange",
                "MockExchange",
                "UpbitWire",
                "TransportTestSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "PropertyBased", package: "swift-property-based"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "BinanceExchangeTests",
            dependencies: [
                "MarketStreamCore",
                "MarketStreamRouting",
                "BinanceExchange",
                "BinanceWire",
                "MockExchange",
                "UpbitExchange",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "PropertyBased", package: "swift-property-based"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "MomentumStrategyTests",
            dependencies: ["MarketStreamCore", "MarketStreamRouting", "MockExchange", "MomentumStrategy", "UpbitExchange"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "MarketStreamPluginTests",
            dependencies: [
                "MarketStreamCore",
                "MarketStreamRouting",
                "MarketStreamTesting",
                "MarketStreamPlugins",
                "MarketStreamPluginKit",
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "MarketStreamCLITests",
            dependencies: ["MarketStreamTesting", "TransportTestSupport"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "TransportTestSupport",
            dependencies: [
                "MarketStreamCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            path: "Tests/TransportTestSupport",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "MarketStreamTransportTests",
            dependencies: [
                "MarketStreamCore",
                "MarketStreamRouting",
                "MarketStreamTransport",
                "TransportTestSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "MockExchangeTests",
            dependencies: [
                "MarketStreamCore",
                "MarketStreamRouting",
                "MarketStreamTesting",
                "MockExchange",
                "MarketStreamTransport",
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
        + [
            .target(
                name: "PluginFixtureSupport", dependencies: ["CMarketStreamPluginABI"],
                path: "Tests/PluginFixtures/Support")
        ]
        + zip(brokenPluginFixtures, ["NoEntry", "WrongABI", "NullFunction", "EmptyName", "UnknownInput", "Failing"]).map {
            .target(
                name: $0, dependencies: ["CMarketStreamPluginABI", "PluginFixtureSupport"],
                path: "Tests/PluginFixtures/\($1)")
        },
    swiftLanguageModes: [.v6]
)
