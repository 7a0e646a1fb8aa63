import Foundation

/// A request of the incremental dialect, `{"id":1,"method":"SUBSCRIBE","params":["KRW-BTC@trade"]}`,
/// parsed and checked for shape (the streams are checked against the market list by the connection).
struct IncrementalRequest: Sendable, Equatable {
    /// What the client asks for.
    enum Method: String, Sendable {
        case subscribe = "SUBSCRIBE"
        case unsubscribe = "UNSUBSCRIBE"
        case snapshot = "SNAPSHOT"
        case listSubscriptions = "LIST_SUBSCRIPTIONS"
    }

    /// Why a request is refused: the error reply the dialect sends, with the request's id when it had one.
    struct Rejection: Error, Sendable, Equatable {
        var id: Int?
        var message: String

        /// The error frame's text.
        var reply: String { IncrementalWireFormat.error(id: id, message: message) }
    }

    var id: Int
    var method: Method
    /// The stream names of `params` (empty for `LIST_SUBSCRIPTIONS`).
    var streams: [String]

    /// Parses one text message.
    /// - Throws: A ``Rejection``: not JSON, no integer `id` or no `method`, an unknown method, or a
    ///   subscription method whose `params` are not a non-empty list of strings.
    static func parse(_ text: String) throws(Rejection) -> IncrementalRequest {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] else {
            throw Rejection(id: nil, message: "Invalid JSON")
        }
        guard let id = object["id"] as? Int, let methodName = object["method"] as? String else {
            throw Rejection(id: nil, message: "Invalid request: id and method are required")
        }
        guard let method = Method(rawValue: methodName) else {
            throw Rejection(id: id, message: "Invalid request: unknown method '\(methodName)'")
        }
        guard method != .listSubscriptions else { return IncrementalRequest(id: id, method: method, streams: []) }
        let params = object["params"] as? [Any] ?? []
        let streams = params.compactMap { $0 as? String }
        guard !streams.isEmpty, streams.count == params.count else {
            throw Rejection(id: id, message: "Invalid request: unknown stream 'params'")
        }
        return IncrementalRequest(id: id, method: method, streams: streams)
    }
}
