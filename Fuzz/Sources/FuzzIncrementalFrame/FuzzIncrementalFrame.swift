import CFuzzDriver
import Logging
import MarketStreamCore
import MockExchange
import NIOCore

let exchange = MockIncrementalExchange(
    endpoint: "ws://127.0.0.1:1", logger: Logger(label: "fuzz", factory: { _ in SwiftLogNoOpLogHandler() }))

/// The incremental (Binance-style) dialect's decoder on arbitrary bytes: events or a typed error.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzIncrementalFrame(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    let frame = WebSocketMessage.binary(Array(UnsafeBufferPointer(start: data, count: size)))
    let context = DecodeContext(
        exchange: "mock-incremental", channel: .public, generation: ConnectionGeneration(1),
        receivedAt: UnixTime(milliseconds: 0))
    var output = DecodedFrame()
    do {
        try exchange.decode(frame, context: context, into: &output)
        for event in output.events { _ = event.description }
    } catch {
        _ = error.description
    }
    return 0
}

/// SwiftPM links an executable's entry point as `FuzzIncrementalFrame_main`: it hands over to libFuzzer's driver.
@_cdecl("FuzzIncrementalFrame_main")
public func fuzzIncrementalFrameMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt
{
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv) { data, size in fuzzIncrementalFrame(data, size) }
}
