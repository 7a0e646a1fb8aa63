import Foundation

/// A request of Binance's stream protocol, `{"method":"SUBSCRIBE","params":["btcusdt@trade"],"id":1}`,
/// parsed and checked for shape (the streams are checked against the market list by the connection).
struct BinanceRequest: Sendable, Equatable {
    /// What the client asks for.
    enum Method: String, Sendable {
        case subscribe = "SUBSCRIBE"
        case unsubscribe = "UNSUBSCRIBE"
        case listSubscriptions = "LIST_SUBSCRIPTIONS"
        case setProperty = "SET_PROPERTY"
        case getProperty = "GET_PROPERTY"
    }

    /// Why a request is refused: Binance's error reply (code 0 unknown property, 1 invalid
    /// value type, 2 invalid request, 3 invalid JSON), with the request's id when it had one.
    struct Rejection: Error, Sendable, Equatable {
        var code: Int
        var id: Int64?
        var message: String
    }

    /// The request's id: Binance takes an integer (or `null`); the reply echoes it.
    var id: Int64?
    var method: Method
    /// `params`: stream names for the subscription methods, the property for the property ones.
    var params: [String]
    /// `SET_PROPERTY`'s value (`["combined", true]`).
    var flag: Bool?

    /// Parses one text message.
    /// - Throws: A ``Rejection``: not JSON, no `method`, an unknown method, or a subscription
    ///   method whose `params` are not a non-empty list of strings.
    static func parse(_ text: String) throws(Rejection) -> BinanceRequest {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] else {
            throw Rejection(code: 3, id: nil, message: "Invalid JSON: expected an object")
        }
        let id: Int64?
        switch object["id"] {
        case nil, is NSNull: id = nil
        case let number as Int: id = Int64(number)
        default: throw Rejection(code: 1, id: nil, message: "Invalid value type: expected an integer id")
        }
        guard let methodName = object["method"] as? String else {
            throw Rejection(code: 2, id: id, message: "Invalid request: method is required")
        }
        guard let method = Method(rawValue: methodName) else {
            throw Rejection(code: 2, id: id, message: "Invalid request: unknown method '\(methodName)'")
        }
        let params = object["params"] as? [Any] ?? []
        switch method {
        case .listSubscriptions:
            return BinanceRequest(id: id, method: method, params: [], flag: nil)
        case .setProperty, .getProperty:
            guard let name = params.first as? String else {
                throw Rejection(code: 2, id: id, message: "Invalid request: property name is required")
            }
            guard name == "combined" else { throw Rejection(code: 0, id: id, message: "Unknown property") }
            let flag = params.count > 1 ? params[1] as? Bool : nil
            if method == .setProperty && flag == nil {
                throw Rejection(code: 1, id: id, message: "Invalid value type: expected Boolean")
            }
            return BinanceRequest(id: id, method: method, params: [name], flag: flag)
        case .subscribe, .unsubscribe:
            let streams = params.compactMap { $0 as? String }
            guard !streams.isEmpty, streams.count == params.count else {
                throw Rejection(code: 2, id: id, message: "Invalid request: params must be a list of stream names")
            }
            return BinanceRequest(id: id, method: method, params: streams, flag: nil)
        }
    }
}
