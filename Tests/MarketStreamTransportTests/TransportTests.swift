import Logging
import MarketStreamCore
import MarketStreamTransport
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket
import Synchronization
import Testing
import TransportTestSupport

let quietLogger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

/// The client side of a test connection: records what arrives (and whether it arrived on the
/// connection's event loop) and runs `body` as the outbound side.
final class RecordingHandler: ConnectionHandler {
    struct Received: Sendable, Equatable {
        var opcode: WebSocketMessage.Opcode
        var bytes: [UInt8]
        var onEventLoop: Bool
    }

    let eventLoop: any EventLoop
    let body: @Sendable (any WebSocketOutbound, RecordingHandler) async throws -> Void
    private let state = Mutex<(messages: [Received], pongs: Int)>(([], 0))
    private let arrivals: AsyncStream<Received>.Continuation
    let stream: AsyncStream<Received>

    init(
        eventLoop: any EventLoop,
        body: @escaping @Sendable (any WebSocketOutbound, RecordingHandler) async throws -> Void = { _, _ in
            try await Task.sleep(for: .seconds(3600))
        }
    ) {
        self.eventLoop = eventLoop
        self.body = body
        (stream, arrivals) = AsyncStream.makeStream(of: Received.self)
    }

    var messages: [Received] { state.withLock { $0.messages } }
    var pongs: Int { state.withLock { $0.pongs } }

    func run(outbound: any WebSocketOutbound) async throws { try await body(outbound, self) }

    func receive(_ message: WebSocketMessage) {
        let received = Received(
            opcode: message.opcode, bytes: Array(buffer: message.bytes), onEventLoop: eventLoop.inEventLoop)
        state.withLock { $0.messages.append(received) }
        arrivals.yield(received)
    }

    func receivedPong() { state.withLock { $0.pongs += 1 } }

    /// The next `count` messages.
    func next(_ count: Int) async -> [Received] {
        var taken: [Received] = []
        for await message in stream {
            taken.append(message)
            if taken.count == count { break }
        }
        return taken
    }
}

/// Connects `handler` to `path` on `server` and returns what ended the connection.
func connect(
    _ path: String, port: Int, secure: Bool = false, host: String = "127.0.0.1",
    configuration: WebSocketTransportConfiguration = WebSocketTransportConfiguration(),
    handler: RecordingHandler
) async -> Result<Void, any Error> {
    do {
        let url = try WebSocketURL("\(secure ? "wss" : "ws")://\(host):\(port)\(path)")
        try await WebSocketTransport.run(
            url: url, configuration: configuration, eventLoop: handler.eventLoop, handler: handler,
            logger: quietLogger)
        return .success(())
    } catch {
        return .failure(error)
    }
}

extension Result where Success == Void, Failure == any Error {
    var transportError: WebSocketTransportError? {
        if case .failure(let error) = self { return error as? WebSocketTransportError }
        return nil
    }
}

@Suite(.timeLimit(.minutes(1))) struct TransportTests {
    let loop = MultiThreadedEventLoopGroup.singleton.next()

    @Test func theUpgradeCarriesExactlyHostTheHandshakeAndTheRequestedHeaders() async throws {
        let server = try await RecordingWebSocketServer()
        defer { Task { await server.shutdown() } }
        var headers = HTTPHeaders()
        headers.add(name: "Authorization", value: "Bearer token")
        let handler = RecordingHandler(eventLoop: loop) { outbound, _ in
            try await outbound.send(.text("hi"))
        }
        let result = await connect(
            "/echo?x=1", port: server.port, configuration: .init(headers: headers), handler: handler)
        #expect(throws: Never.self) { try result.get() }
        let request = try #require(server.requests.first)
        #expect(request.uri == "/echo?x=1")
        let names = Set(request.headers.map { $0.name.lowercased() })
        #expect(
            names == ["host", "connection", "upgrade", "sec-websocket-key", "sec-websocket-version", "authorization"])
        #expect(!names.contains("origin"))
        #expect(request.headers.first(name: "Host") == "127.0.0.1:\(server.port)")
        #expect(request.headers.first(name: "Authorization") == "Bearer token")
    }

    @Test func everyClientFrameIsMaskedAndEndsWithANormalClose() async throws {
        let server = try await RecordingWebSocketServer()
        defer { Task { await server.shutdown() } }
        let handler = RecordingHandler(eventLoop: loop) { outbound, handler in
            try await outbound.send(.text("one"))
            try await outbound.sendPing()
            try await outbound.send(.text("two"))
            _ = await handler.next(2)
        }
        await #expect(throws: Never.self) { try await connect("/echo", port: server.port, handler: handler).get() }
        await server.waitForFrames { $0.contains { $0.opcode == .connectionClose } }
        let frames = server.frames
        #expect(frames.map(\.opcode) == [.text, .ping, .text, .connectionClose])
        #expect(frames.allSatisfy { $0.masked })
        #expect(frames.last?.closeCode == 1000)
        #expect(handler.messages.map { String(decoding: $0.bytes, as: UTF8.self) } == ["one", "two"])
        #expect(handler.pongs == 1)
    }

    @Test func fragmentsAreJoinedAroundAnInterleavedPingOnTheEventLoop() async throws {
        let server = try await RecordingWebSocketServer()
        defer { Task { await server.shutdown() } }
        let handler = RecordingHandler(eventLoop: loop) { _, handler in _ = await handler.next(2) }
        await #expect(throws: Never.self) { try await connect("/fragments", port: server.port, handler: handler).get() }
        #expect(
            handler.messages == [
                .init(opcode: .text, bytes: Array("hello world".utf8), onEventLoop: true),
                .init(opcode: .binary, bytes: [1, 2, 3], onEventLoop: true),
            ])
        // The ping between fragments was answered with its payload.
        await server.waitForFrames { $0.contains { $0.opcode == .pong } }
        #expect(server.frames.first { $0.opcode == .pong }?.text == "p1")
    }

    @Test(arguments: ["/oversize", "/oversize-frame"])
    func anOversizeMessageIsATypedErrorAndACloseWith1009(path: String) async throws {
        let server = try await RecordingWebSocketServer()
        defer { Task { await server.shutdown() } }
        let handler = RecordingHandler(eventLoop: loop)
        let result = await connect(
            path, port: server.port, configuration: .init(maxMessageSize: 1_024), handler: handler)
        #expect(result.transportError?.code == .messageTooLarge)
        #expect(result.transportError?.closeCode == 1009)
        await server.waitForFrames { $0.contains { $0.opcode == .connectionClose } }
        #expect(server.frames.first { $0.opcode == .connectionClose }?.closeCode == 1009)
        #expect(handler.messages.isEmpty)
    }

    @Test(arguments: [401, 418, 429])
    func aRefusedUpgradeKeepsItsStatusBodyAndRemainingReq(status: Int) async throws {
        let server = try await RecordingWebSocketServer()
        defer { Task { await server.shutdown() } }
        let result = await connect("/refuse/\(status)", port: server.port, handler: RecordingHandler(eventLoop: loop))
        let error = try #require(result.transportError)
        #expect(error.code == .upgradeRefused)
        #expect(error.httpStatus == status)
        #expect(error.body == #"{"error":{"name":"refused","message":"status \#(status)"}}"#)
        #expect(error.remainingRequests == "group=origin; min=0; sec=0")
        let mapped = MarketStreamError(error, exchange: "test")
        #expect(mapped.code == (status == 401 ? .authenticationUnavailable : .rateLimited))
        #expect(mapped.message.contains("HTTP \(status)"))
    }

    @Test func thePeersCloseCodeAndReasonAreReported() async throws {
        let server = try await RecordingWebSocketServer()
        defer { Task { await server.shutdown() } }
        let result = await connect("/close", port: server.port, handler: RecordingHandler(eventLoop: loop))
        let error = try #require(result.transportError)
        #expect(error.code == .closedByPeer)
        #expect(error.closeCode == 4001)
        #expect(error.closeReason == "bye")
        #expect(MarketStreamError(error, exchange: "test").message.contains("4001 bye"))
        // The close was answered with the same code.
        await server.waitForFrames { $0.contains { $0.opcode == .connectionClose } }
        #expect(server.frames.first { $0.opcode == .connectionClose }?.closeCode == 4001)
    }

    @Test func aServerThatNeverAnswersTheUpgradeTimesOut() async throws {
        let server = try await SilentServer()
        defer { Task { await server.shutdown() } }
        let result = await connect(
            "/", port: server.port, configuration: .init(connectTimeout: .milliseconds(300)),
            handler: RecordingHandler(eventLoop: loop))
        #expect(result.transportError?.code == .timedOut)
    }

    @Test func aClosedPortIsAConnectFailure() async throws {
        let server = try await SilentServer()
        let port = server.port
        await server.shutdown()
        let result = await connect("/", port: port, handler: RecordingHandler(eventLoop: loop))
        #expect(result.transportError?.code == .connectFailed)
    }

    @Test func cancellingTheConnectionEndsItWithANormalClose() async throws {
        let server = try await RecordingWebSocketServer()
        defer { Task { await server.shutdown() } }
        let (running, started) = AsyncStream.makeStream(of: Void.self)
        let handler = RecordingHandler(eventLoop: loop) { _, _ in
            started.yield()
            try await Task.sleep(for: .seconds(3600))
        }
        let task = Task { await connect("/echo", port: server.port, handler: handler) }
        for await _ in running { break }
        task.cancel()
        let result = await task.value
        #expect(throws: CancellationError.self) { try result.get() }
        await server.waitForFrames { $0.contains { $0.opcode == .connectionClose } }
        #expect(server.frames.last?.closeCode == 1000)
    }
}
