import CFuzzDriver
import MarketStreamCore

@testable import UpbitExchange

let decoder = UpbitRESTDecoder(exchange: "upbit")
let receivedAt = UnixTime(milliseconds: 0)

/// Upbit's REST answers on arbitrary bytes: the JSON parser, every response shape the client reads
/// and the error-body mapping. Each gives values or a typed error; values describe themselves.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRESTResponses(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    let json = try? RESTJSON.parse(Array(UnsafeBufferPointer(start: data, count: size)))
    for status in [400, 401, 404, 418, 429, 500] {
        let error = decoder.failure(
            status: status, body: json, retryAfter: .seconds(1), group: .default, endpoint: "GET /fuzz")
        precondition(!error.description.isEmpty)
        _ = error.marketStreamError(exchange: "upbit").description
    }
    guard let json else { return 0 }
    describe(try? decoder.list(json, endpoint: "GET /v1/accounts", UpbitAccount.init(json:)))
    describe(try? decoder.list(json, endpoint: "GET /v1/orders/open", UpbitOrder.init(json:)))
    describe(try? decoder.object(json, endpoint: "GET /v1/order", UpbitOrder.init(json:)))
    describe(try? decoder.list(json, endpoint: "GET /v1/market/all", decoder.market))
    events(
        try? decoder.list(json, endpoint: "GET /v1/ticker") { item throws(RESTJSON.Malformed) in
            try decoder.ticker(item, receivedAt: receivedAt)
        })
    events(
        try? decoder.list(json, endpoint: "GET /v1/orderbook") { item throws(RESTJSON.Malformed) in
            try decoder.orderbook(item, receivedAt: receivedAt)
        })
    events(
        try? decoder.list(json, endpoint: "GET /v1/trades/ticks") { item throws(RESTJSON.Malformed) in
            try decoder.trade(item, receivedAt: receivedAt)
        })
    events(
        try? decoder.list(json, endpoint: "GET /v1/candles/minutes/1") { item throws(RESTJSON.Malformed) in
            try decoder.candle(item, interval: .oneMinute, receivedAt: receivedAt)
        })
    return 0
}

func describe<T>(_ values: T?) {
    if let values { _ = String(describing: values) }
}

func events(_ events: [MarketEvent]?) {
    for event in events ?? [] {
        precondition(event.stream == .snapshot)
        _ = event.description
    }
}

/// SwiftPM links an executable's entry point as `FuzzRESTResponses_main`: it hands over to libFuzzer's driver.
@_cdecl("FuzzRESTResponses_main")
public func fuzzRESTResponsesMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv) { data, size in fuzzRESTResponses(data, size) }
}
