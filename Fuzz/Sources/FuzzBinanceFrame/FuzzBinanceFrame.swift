import BinanceExchange
import CFuzzDriver
import Logging
import MarketStreamCore
import NIOCore

let exchange = try! BinanceExchange(logger: Logger(label: "fuzz", factory: { _ in SwiftLogNoOpLogHandler() }))

/// Binance's frame decoder on arbitrary bytes: events, control messages or a typed error.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzBinanceFrame(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    let frame = WebSocketMessage.binary(Array(UnsafeBufferPointer(start: data, count: size)))
    let context = DecodeContext(
        exchange: "binance", channel: .public, generation: ConnectionGeneration(1),
        receivedAt: UnixTime(milliseconds: 0))
    var output = DecodedFrame()
    do {
        try exchange.decode(frame, context: context, into: &output)
        for event in output.events { _ = event.description }
    } catch {
        precondition(error.code == .malformedFrame)
        _ = error.description
    }
    return 0
}

/// SwiftPM links an executable's entry point as `FuzzBinanceFrame_main`: it hands over to libFuzzer's driver.
@_cdecl("FuzzBinanceFrame_main")
public func fuzzBinanceFrameMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv) { data, size in fuzzBinanceFrame(data, size) }
}
