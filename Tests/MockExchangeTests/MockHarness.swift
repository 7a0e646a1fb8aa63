import AsyncHTTPClient
import Crypto
import Foundation
import Logging
import MarketStreamCore
import MarketStreamTransport
import MockExchange
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import NIOPosix

let quietLogger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
let testCredentials = MockCredentials(accessKey: "test-access-key", secretKey: "test-secret-key-0123456789")

/// Runs a mock exchange on a free loopback port for the duration of `body`.
@discardableResult
func withMockExchange<Value: Sendable>(
    _ configuration: MockExchangeConfiguration = MockExchangeConfiguration(credentials: [testCredentials]),
    _ body: @Sendable (MockExchangeServer, MockExchangeEndpoint) async throws -> Value
) async throws -> Value {
    let server = MockExchangeServer(configuration: configuration, logger: quietLogger)
    return try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await server.run() }
        defer { group.cancelAll() }
        let endpoint = try await server.endpoint()
        return try await body(server, endpoint)
    }
}

/// What a test client received.
enum Received: Sendable, Equatable {
    case text(String)
    case binary(String)

    var string: String {
        switch self {
        case .text(let s), .binary(let s): s
        }
    }

    var json: Any? { try? JSONSerialization.jsonObject(with: Data(string.utf8)) }
    var object: [String: Any]? { json as? [String: Any] }
}

/// A connected test socket: send text, read what arrives (nil once the server closed).
struct TestSocket: Sendable {
    let outbound: any WebSocketOutbound
    let frames: AsyncStream<Received>

    func send(_ text: String) async throws { try await outbound.send(.text(text)) }
}

/// Opens a WebSocket to `url` (over MarketStream's transport) for the duration of `body`.
/// - Returns: How the server ended the connection (a close frame, or a drop without one), if it did.
@discardableResult
func withSocket(
    _ url: String, headers: HTTPHeaders = [:], _ body: @escaping @Sendable (TestSocket) async throws -> Void
) async throws -> WebSocketTransportError? {
    let (frames, sink) = AsyncStream.makeStream(of: Received.self)
    let handler = StreamingHandler(sink: sink, body: body, frames: frames)
    defer { sink.finish() }
    do {
        try await WebSocketTransport.run(
            url: try WebSocketURL(url), configuration: WebSocketTransportConfiguration(headers: headers),
            eventLoop: MultiThreadedEventLoopGroup.singleton.next(), handler: handler, logger: quietLogger)
        return nil
    } catch let error as WebSocketTransportError where [.closedByPeer, .connectionLost].contains(error.code) {
        return error  // the server ended the connection; the test body saw what it needed
    }
}

/// Hands every message to an `AsyncStream` and runs the test body as the connection's outbound side.
private struct StreamingHandler: ConnectionHandler {
    let sink: AsyncStream<Received>.Continuation
    let body: @Sendable (TestSocket) async throws -> Void
    let frames: AsyncStream<Received>

    func run(outbound: any WebSocketOutbound) async throws {
        try await body(TestSocket(outbound: outbound, frames: frames))
    }

    func receive(_ message: WebSocketMessage) {
        let text = String(buffer: message.bytes)
        sink.yield(message.opcode == .text ? .text(text) : .binary(text))
    }

    func receivedPong() {}
}

extension AsyncStream<Received>.Iterator {
    /// The next frame whose object satisfies `predicate`.
    mutating func next(where predicate: ([String: Any]) -> Bool) async -> [String: Any]? {
        while let frame = await next() {
            if let object = frame.object, predicate(object) { return object }
            if let array = frame.json as? [[String: Any]], let first = array.first, predicate(first) { return first }
        }
        return nil
    }
}

/// Signs Upbit-style JWTs for tests.
enum TestJWT {
    static func token(
        _ credentials: MockCredentials = testCredentials, algorithm: String = "HS512",
        nonce: String = UUID().uuidString,
        query: String? = nil, timestamp: Int64? = nil
    ) -> String {
        var payload: [String: Any] = ["access_key": credentials.accessKey, "nonce": nonce]
        if let timestamp { payload["timestamp"] = timestamp }
        if let query {
            payload["query_hash"] = SHA512.hash(data: Data(query.utf8)).map { String(format: "%02x", $0) }.joined()
            payload["query_hash_alg"] = "SHA512"
        }
        let header = base64URL(try! JSONSerialization.data(withJSONObject: ["alg": algorithm, "typ": "JWT"]))
        let body = base64URL(try! JSONSerialization.data(withJSONObject: payload))
        let input = Data("\(header).\(body)".utf8)
        let key = SymmetricKey(data: Data(credentials.secretKey.utf8))
        let signature: Data =
            algorithm == "HS256"
            ? Data(HMAC<SHA256>.authenticationCode(for: input, using: key))
            : Data(HMAC<SHA512>.authenticationCode(for: input, using: key))
        return "\(header).\(body).\(base64URL(signature))"
    }

    static func base64URL(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}

/// A REST call against the mock exchange.
func rest(
    _ method: NIOHTTP1.HTTPMethod = .GET, _ url: String, token: String? = nil, body: String? = nil,
    headers extra: HTTPHeaders = [:]
) async throws -> (status: Int, json: Any?, headers: [String: String]) {
    var request = HTTPClientRequest(url: url)
    request.method = method
    request.headers.add(contentsOf: extra)
    if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
    if let body {
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(string: body))
    }
    let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
    let bytes = try await response.body.collect(upTo: 1 << 22)
    var headers: [String: String] = [:]
    for header in response.headers { headers[header.name.lowercased()] = header.value }
    return (Int(response.status.code), try? JSONSerialization.jsonObject(with: Data(bytes.readableBytesView)), headers)
}
