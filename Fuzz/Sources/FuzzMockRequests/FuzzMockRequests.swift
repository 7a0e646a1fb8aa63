import CFuzzDriver
import Foundation
import MarketStreamCore
import BinanceWire
import UpbitWire

@testable import MockExchange

let simulator = MarketSimulator(seed: 1, marketCount: 20, startTime: 1_700_000_000_000)

/// The mock exchange's request parsers on arbitrary text: Upbit subscribe and list requests (public
/// and private endpoints) down to each requested code, Binance's requests and stream
/// names, and REST order bodies. Each gives a request or a typed rejection, and every reply the
/// rejection is sent as is valid JSON.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzMockRequests(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    for (isPrivate, variant) in [(false, UpbitWireVariant.upbit), (true, .upbit), (false, .bithumb), (true, .bithumb)] {
        do {
            let request = try UpbitRequest.parse(text, isPrivate: isPrivate, variant: variant)
            precondition(!request.ticket.isEmpty)
            if case .subscribe(let types) = request.body {
                precondition(!types.isEmpty)
                for type in types {
                    for code in type.codes {
                        let entry = UpbitSubscriptionEntry.parse(
                            code: code, type: type.type, level: type.level, simulator: simulator)
                        if let entry, let depth = entry.depth { precondition([1, 5, 15, 30].contains(depth)) }
                        _ = entry?.listedCode
                    }
                }
            }
        } catch {
            requireJSON(error.json)
        }
    }
    do {
        let request = try BinanceRequest.parse(text)
        precondition(
            [.listSubscriptions, .setProperty, .getProperty].contains(request.method) || !request.params.isEmpty)
        for name in request.params {
            if let stream = BinanceStream(name: name) { precondition(BinanceStream(name: stream.name) == stream) }
        }
        requireJSON(BinanceEventEncoder.result(id: request.id, streams: request.params))
    } catch {
        requireJSON(BinanceEventEncoder.error(code: error.code, message: error.message, id: error.id))
    }
    if let fields = try? MockExchangeCore.orderedFields(text) {
        _ = fields.map { "\($0.key)=\($0.value)" }.joined(separator: "&")
    }
    return 0
}

/// A reply the mock sends must parse as JSON, whatever the request echoed into it.
func requireJSON(_ text: String) {
    precondition((try? JSONSerialization.jsonObject(with: Data(text.utf8))) != nil, "not JSON: \(text)")
}

/// SwiftPM links an executable's entry point as `FuzzMockRequests_main`: it hands over to libFuzzer's driver.
@_cdecl("FuzzMockRequests_main")
public func fuzzMockRequestsMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv) { data, size in fuzzMockRequests(data, size) }
}
