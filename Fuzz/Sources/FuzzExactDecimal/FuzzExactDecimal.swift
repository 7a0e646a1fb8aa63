import CFuzzDriver
import MarketStreamCore

/// `ExactDecimal` parsing on arbitrary bytes, checked against a reference: what parses prints
/// back to text that parses to the same value, the string and byte paths agree, and arithmetic
/// on it does not trap.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzExactDecimal(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    let bytes = UnsafeBufferPointer(start: data, count: size)
    let parsed = ExactDecimal(utf8: bytes)
    let text = String(decoding: bytes, as: UTF8.self)
    if text.utf8.elementsEqual(bytes) {
        precondition(ExactDecimal(text) == parsed, "the string and byte parsers disagree on \(text.debugDescription)")
    }
    guard let value = parsed else { return 0 }
    let printed = value.description
    guard let reparsed = ExactDecimal(printed) else {
        preconditionFailure("\(text.debugDescription) parsed, but its description \(printed) does not")
    }
    precondition(reparsed == value, "\(text.debugDescription) → \(printed) → \(reparsed)")
    _ = value.divided(by: value)
    return 0
}

/// SwiftPM links an executable's entry point as `FuzzExactDecimal_main`: it hands over to libFuzzer's driver.
@_cdecl("FuzzExactDecimal_main")
public func fuzzExactDecimalMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv) { data, size in fuzzExactDecimal(data, size) }
}
