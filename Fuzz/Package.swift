// swift-tools-version: 6.1
import PackageDescription

// libFuzzer targets for every parser the network or a user feeds. A sub-package, so the library's
// builds never pay for the sanitizers. `-enable-testing` lets the targets for internal parsers (the
// REST decoder, the mock's request parsers, its JWT verifier) `@testable import` their modules.
// Build and run (see README.md here):
//   swift build -c release -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library -Xswiftc -enable-testing
//   .build/release/FuzzUpbitFrame Corpus/FuzzUpbitFrame -max_total_time=30
let targets = [
    "FuzzUpbitFrame", "FuzzExactDecimal", "FuzzNames", "FuzzBinanceFrame", "FuzzRESTResponses",
    "FuzzMockRequests", "FuzzJWT",
]

let package = Package(
    name: "MarketStreamFuzz",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "MarketStream", path: ".."),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
    ],
    targets: [.target(name: "CFuzzDriver")]
        + targets.map { name in
            .executableTarget(
                name: name,
                dependencies: [
                    "CFuzzDriver",
                    .product(name: "MarketStreamCore", package: "MarketStream"),
                    .product(name: "UpbitExchange", package: "MarketStream"),
                    .product(name: "MockExchange", package: "MarketStream"),
                    .product(name: "UpbitWire", package: "MarketStream"),
                    .product(name: "BinanceExchange", package: "MarketStream"),
                    .product(name: "BinanceWire", package: "MarketStream"),
                    .product(name: "Crypto", package: "swift-crypto"),
                ]
            )
        },
    swiftLanguageModes: [.v6]
)
