import MarketStreamCore
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import NIOWebSocket
import Synchronization

/// A small WebSocket server on 127.0.0.1 for transport tests: it records every upgrade request and
/// every frame it receives, and behaves by path:
///
/// - `/echo`: echoes text messages, answers pings and the close handshake;
/// - `/fragments`: sends `hel` + ping `p1` + `lo ` + `world` as one fragmented text message, then
///   a binary message `[1, 2]` + `[3]`, then echoes;
/// - `/oversize`: sends a 1 800-byte text message in three fragments;
/// - `/oversize-frame`: sends one 2 000-byte frame;
/// - `/close`: closes at once with 4001 "bye";
/// - `/refuse/NNN`: refuses the upgrade with HTTP NNN, a JSON body and `Remaining-Req`.
public final class RecordingWebSocketServer: Sendable {
    /// One frame the server received.
    public struct ReceivedFrame: Sendable {
        public var opcode: WebSocketOpcode
        public var fin: Bool
        public var masked: Bool
        public var data: [UInt8]
        public var text: String { String(decoding: data, as: UTF8.self) }

        /// The close code of a close frame.
        public var closeCode: UInt16? {
            guard opcode == .connectionClose, data.count >= 2 else { return nil }
            return UInt16(data[0]) << 8 | UInt16(data[1])
        }
    }

    private struct State {
        var requests: [HTTPRequestHead] = []
        var frames: [ReceivedFrame] = []
    }

    private let state = Mutex(State())
    /// Tests waiting for frames, woken after each one recorded.
    private let waiters = ConditionWaiters()
    private let channel: any Channel
    /// The port the server listens on.
    public let port: Int

    /// Starts a server; `tls` makes it a `wss://` server.
    public init(tls: TLSConfiguration? = nil) async throws {
        let sslContext = try tls.map { try NIOSSLContext(configuration: $0) }
        let recorder = Recorder()
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    if let sslContext { try pipeline.addHandler(NIOSSLServerHandler(context: sslContext)) }
                    let refuser = RefusingHandler()
                    let upgrader = NIOWebSocketServerUpgrader(
                        maxFrameSize: 1 << 24, automaticErrorHandling: false,
                        shouldUpgrade: { channel, head in
                            recorder.server?.record(head)
                            let upgrade = !head.uri.hasPrefix("/refuse/")
                            return channel.eventLoop.makeSucceededFuture(upgrade ? HTTPHeaders() : nil)
                        },
                        upgradePipelineHandler: { channel, head in
                            channel.eventLoop.makeCompletedFuture {
                                try channel.pipeline.syncOperations.addHandler(
                                    ScriptedFrameHandler(path: head.uri, recorder: recorder))
                            }
                        })
                    let refuserBound = NIOLoopBound(refuser, eventLoop: channel.eventLoop)
                    try pipeline.configureHTTPServerPipeline(
                        withServerUpgrade: (
                            upgraders: [upgrader],
                            completionHandler: { context in
                                context.pipeline.syncOperations.removeHandler(refuserBound.value, promise: nil)
                            }
                        ))
                    try pipeline.addHandler(refuser)
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        self.channel = channel
        port = channel.localAddress?.port ?? 0
        recorder.server = self
    }

    /// Stops listening.
    public func shutdown() async {
        try? await channel.close()
    }

    /// The upgrade requests received, in order.
    public var requests: [HTTPRequestHead] { state.withLock { $0.requests } }
    /// The frames received, in order.
    public var frames: [ReceivedFrame] { state.withLock { $0.frames } }

    /// Waits until the recorded frames satisfy `condition`, or until the calling task is cancelled.
    public func waitForFrames(_ condition: @escaping @Sendable ([ReceivedFrame]) -> Bool) async {
        await waiters.wait(until: { condition(self.frames) })
    }

    fileprivate func record(_ head: HTTPRequestHead) {
        update { $0.requests.append(head) }
    }

    fileprivate func record(_ frame: ReceivedFrame) {
        update { $0.frames.append(frame) }
    }

    private func update(_ change: (inout State) -> Void) {
        state.withLock { change(&$0) }
        waiters.changed()
    }
}

/// Lets the pipeline reach the server before its `init` has finished.
private final class Recorder: Sendable {
    private let box = Mutex<RecordingWebSocketServer?>(nil)
    var server: RecordingWebSocketServer? {
        get { box.withLock { $0 } }
        set { box.withLock { $0 = newValue } }
    }
}

/// Answers every request that was not upgraded: `/refuse/NNN` with status NNN.
private final class RefusingHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .head(let head) = unwrapInboundIn(data) else { return }
        let code = Int(head.uri.split(separator: "/").last ?? "") ?? 404
        let body = #"{"error":{"name":"refused","message":"status \#(code)"}}"#
        var headers = HTTPHeaders()
        headers.add(name: "Content-Length", value: "\(body.utf8.count)")
        headers.add(name: "Remaining-Req", value: "group=origin; min=0; sec=0")
        headers.add(name: "Connection", value: "close")
        let response = HTTPResponseHead(version: .http1_1, status: .init(statusCode: code), headers: headers)
        context.write(wrapOutboundOut(.head(response)), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: body)))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { [channel = context.channel] _ in
            channel.close(promise: nil)
        }
    }
}

/// The upgraded side: records frames and follows the path's script.
private final class ScriptedFrameHandler: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    let path: String
    let recorder: Recorder

    init(path: String, recorder: Recorder) {
        self.path = path
        self.recorder = recorder
    }

    func handlerAdded(context: ChannelHandlerContext) {
        func send(_ opcode: WebSocketOpcode, _ bytes: [UInt8], fin: Bool = true) {
            context.write(
                wrapOutboundOut(WebSocketFrame(fin: fin, opcode: opcode, data: ByteBuffer(bytes: bytes))), promise: nil)
        }
        switch path {
        case "/fragments":
            send(.text, Array("hel".utf8), fin: false)
            send(.ping, Array("p1".utf8))
            send(.continuation, Array("lo ".utf8), fin: false)
            send(.continuation, Array("world".utf8))
            send(.binary, [1, 2], fin: false)
            send(.continuation, [3])
        case "/oversize":
            send(.text, Array(repeating: UInt8(ascii: "a"), count: 600), fin: false)
            send(.continuation, Array(repeating: UInt8(ascii: "b"), count: 600), fin: false)
            send(.continuation, Array(repeating: UInt8(ascii: "c"), count: 600))
        case "/oversize-frame":
            send(.binary, Array(repeating: 7, count: 2_000))
        case "/close":
            var payload = ByteBuffer()
            payload.writeInteger(UInt16(4001))
            payload.writeString("bye")
            context.write(
                wrapOutboundOut(WebSocketFrame(fin: true, opcode: .connectionClose, data: payload)), promise: nil)
        default:
            break
        }
        context.flush()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        let payload = frame.unmaskedData
        recorder.server?.record(
            .init(opcode: frame.opcode, fin: frame.fin, masked: frame.maskKey != nil, data: Array(buffer: payload)))
        switch frame.opcode {
        case .text:
            context.writeAndFlush(
                wrapOutboundOut(WebSocketFrame(fin: true, opcode: .text, data: payload)), promise: nil)
        case .ping:
            context.writeAndFlush(
                wrapOutboundOut(WebSocketFrame(fin: true, opcode: .pong, data: payload)), promise: nil)
        case .connectionClose:
            if path == "/close" {
                context.close(promise: nil)  // our close was answered
            } else {
                context.writeAndFlush(
                    wrapOutboundOut(WebSocketFrame(fin: true, opcode: .connectionClose, data: payload))
                )
                .whenComplete { [channel = context.channel] _ in channel.close(promise: nil) }
            }
        default:
            break
        }
    }
}
