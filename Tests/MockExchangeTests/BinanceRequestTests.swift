import Testing

@testable import MockExchange

@Suite struct BinanceRequestTests {
    @Test func aSubscribeRequestCarriesItsIdAndStreams() throws {
        let request = try BinanceRequest.parse(
            #"{"method":"SUBSCRIBE","params":["btcusdt@trade","ethusdt@ticker"],"id":7}"#)
        #expect(
            request
                == BinanceRequest(id: 7, method: .subscribe, params: ["btcusdt@trade", "ethusdt@ticker"], flag: nil))
        let list = try BinanceRequest.parse(#"{"method":"LIST_SUBSCRIPTIONS","id":8}"#)
        #expect(list == BinanceRequest(id: 8, method: .listSubscriptions, params: [], flag: nil))
        let property = try BinanceRequest.parse(#"{"method":"SET_PROPERTY","params":["combined",true],"id":9}"#)
        #expect(property == BinanceRequest(id: 9, method: .setProperty, params: ["combined"], flag: true))
        let nullID = try BinanceRequest.parse(#"{"method":"UNSUBSCRIBE","params":["btcusdt@trade"],"id":null}"#)
        #expect(nullID.id == nil)
    }

    @Test(
        arguments: [
            ("not json", 3, nil, "Invalid JSON: expected an object"),
            (#"[1,2]"#, 3, nil, "Invalid JSON: expected an object"),
            (#"{"params":["a"],"id":1}"#, 2, 1, "Invalid request: method is required"),
            (#"{"method":"SUBSCRIBE","params":["a"],"id":1.5}"#, 1, nil, "Invalid value type: expected an integer id"),
            (#"{"method":"PING","id":3}"#, 2, 3, "Invalid request: unknown method 'PING'"),
            (
                #"{"method":"SUBSCRIBE","params":[],"id":4}"#, 2, 4,
                "Invalid request: params must be a list of stream names"
            ),
            (
                #"{"method":"UNSUBSCRIBE","params":["btcusdt@trade",7],"id":5}"#, 2, 5,
                "Invalid request: params must be a list of stream names"
            ),
            (#"{"method":"SET_PROPERTY","params":["colour",true],"id":6}"#, 0, 6, "Unknown property"),
            (
                #"{"method":"SET_PROPERTY","params":["combined","yes"],"id":7}"#, 1, 7,
                "Invalid value type: expected Boolean"
            ),
        ] as [(String, Int, Int64?, String)])
    func badRequestsAreRejectedWithTheirCodeAndId(text: String, code: Int, id: Int64?, message: String) {
        #expect(throws: BinanceRequest.Rejection(code: code, id: id, message: message)) {
            try BinanceRequest.parse(text)
        }
    }
}
