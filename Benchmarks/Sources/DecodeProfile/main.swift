// A fixed decode (+ route) loop for instruction-level profiling, where package-benchmark's harness
// would be in the way:
//
//   swift build -c release --product DecodeProfile
//   valgrind --tool=callgrind .build/release/DecodeProfile ticker.default 200000
//
// It prints frames/s too, but the timed figures belong to DecodeBenchmarks.
import Foundation
import MarketStreamCore
import UpbitExchange

let name = CommandLine.arguments.count > 1 ? CommandLine.arguments[1] : "ticker.default"
let count = CommandLine.arguments.count > 2 ? Int(CommandLine.arguments[2]) ?? 1_000_000 : 1_000_000
let samples = ProcessInfo.processInfo.environment["MARKETSTREAM_SAMPLES"] ?? "../../shared/upbit/samples"
let path = name.contains("/") ? name : "\(samples)/\(name).json"
let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
let decoder = UpbitFrameDecoder()
let context = DecodeContext(
    exchange: "upbit", channel: .public, generation: ConnectionGeneration(1), receivedAt: UnixTime(milliseconds: 0))
var output = DecodedFrame()
var checksum = 0
let start = ContinuousClock.now
for _ in 0..<count {
    output.removeAll()
    try decoder.decode(bytes, context: context, into: &output)
    checksum &+= output.events.count
}
let elapsed = start.duration(to: .now)
let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
print("\(name): \(count) frames in \(String(format: "%.3f", seconds)) s = \(Int(Double(count) / seconds)) frames/s (\(checksum))")
