import CFuzzDriver
import MarketStreamCore
import UpbitExchange

/// The Upbit frame decoder on arbitrary bytes (DEFAULT, SIMPLE and the list formats share one
/// decoder), in Upbit's dialect and in Bithumb's (microsecond book timestamps, KST dates rewritten
/// to UTC): it returns events or throws a typed error, and never crashes.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzUpbitFrame(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    let bytes = UnsafeBufferPointer(start: data, count: size)
    let context = DecodeContext(
        exchange: "upbit", channel: .public, generation: ConnectionGeneration(1), receivedAt: UnixTime(milliseconds: 0))
    for dialect in [UpbitDialect.upbit, .bithumb] {
        var output = DecodedFrame()
        do {
            try UpbitFrameDecoder(dialect: dialect).decode(bytes, context: context, into: &output)
            for event in output.events {
                // Every decoded event can be described (its payload read back) without trapping.
                _ = event.description
            }
        } catch {
            _ = error.description
        }
    }
    return 0
}

/// SwiftPM links an executable's entry point as `FuzzUpbitFrame_main`: it hands over to libFuzzer's driver.
@_cdecl("FuzzUpbitFrame_main")
public func fuzzUpbitFrameMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv) { data, size in fuzzUpbitFrame(data, size) }
}
