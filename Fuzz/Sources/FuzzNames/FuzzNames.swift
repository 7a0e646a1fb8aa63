import CFuzzDriver
import MarketStreamCore

/// Market codes and data kinds as a user types them (`--codes`, `--types`): accepted or a typed
/// error, never a crash; what is accepted prints back to itself.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzNames(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    if let code = try? MarketCode(text) {
        precondition((try? MarketCode(code.rawValue)) == code, "\(text.debugDescription) does not round-trip")
    }
    _ = try? MarketCode.parseList(text)
    if let kind = try? DataKind(parsing: text) {
        precondition((try? DataKind(parsing: kind.description)) == kind, "\(text.debugDescription) → \(kind)")
    }
    let bytes = Array(text.utf8)
    _ = bytes.withUnsafeBufferPointer { MarketCode(utf8: $0) }
    return 0
}

/// SwiftPM links an executable's entry point as `FuzzNames_main`: it hands over to libFuzzer's driver.
@_cdecl("FuzzNames_main")
public func fuzzNamesMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv) { data, size in fuzzNames(data, size) }
}
