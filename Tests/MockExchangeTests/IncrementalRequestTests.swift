import Testing

@testable import MockExchange

@Suite struct IncrementalRequestTests {
    @Test func aSubscribeRequestCarriesItsIdAndStreams() throws {
        let request = try IncrementalRequest.parse(
            #"{"id":7,"method":"SUBSCRIBE","params":["KRW-BTC@trade","KRW-ETH@ticker"]}"#)
        #expect(request == IncrementalRequest(id: 7, method: .subscribe, streams: ["KRW-BTC@trade", "KRW-ETH@ticker"]))
        let list = try IncrementalRequest.parse(#"{"id":8,"method":"LIST_SUBSCRIPTIONS","params":[1]}"#)
        #expect(list == IncrementalRequest(id: 8, method: .listSubscriptions, streams: []))
    }

    @Test(
        arguments: [
            ("not json", nil, "Invalid JSON"),
            (#"[1,2]"#, nil, "Invalid JSON"),
            (#"{"method":"SUBSCRIBE","params":["a"]}"#, nil, "Invalid request: id and method are required"),
            (#"{"id":1.5,"method":"SUBSCRIBE","params":["a"]}"#, nil, "Invalid request: id and method are required"),
            (#"{"id":3,"method":"PING"}"#, 3, "Invalid request: unknown method 'PING'"),
            (#"{"id":4,"method":"SUBSCRIBE","params":[]}"#, 4, "Invalid request: unknown stream 'params'"),
            (
                #"{"id":5,"method":"UNSUBSCRIBE","params":["KRW-BTC@trade",7]}"#, 5,
                "Invalid request: unknown stream 'params'"
            ),
        ] as [(String, Int?, String)])
    func badRequestsAreRejectedWithTheirId(text: String, id: Int?, message: String) {
        #expect(throws: IncrementalRequest.Rejection(id: id, message: message)) {
            try IncrementalRequest.parse(text)
        }
    }
}
