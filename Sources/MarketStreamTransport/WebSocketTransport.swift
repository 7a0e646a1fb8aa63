import Logging
import MarketStreamCore
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import NIOWebSocket

/// MarketStream's WebSocket client transport, on SwiftNIO: NIOPosix sockets, NIOSSL, NIOHTTP1's
/// client upgrade and NIOWebSocket's frame codec, with MarketStream's handlers on the event loop.
///
/// Exchange modules call ``run(url:configuration:eventLoop:handler:logger:)`` from
/// ``AbstractWebSocketManager/connect(to:handler:)``:
///
/// ```swift
/// public func connect(to channel: ChannelID, handler: any ConnectionHandler) async throws {
///     var headers = HTTPHeaders()
///     headers.add(name: "Authorization", value: signer.authorization())
///     try await WebSocketTransport.run(
///         url: try WebSocketURL("wss://api.example.com/ws"),
///         configuration: WebSocketTransportConfiguration(headers: headers),
///         eventLoop: executor.eventLoop, handler: handler, logger: logger)
/// }
/// ```
///
/// Every inbound message reaches ``ConnectionHandler/receive(_:)`` on `eventLoop`, in order and
/// synchronously, as a view of the bytes read (no copy, no task hop per message).
public enum WebSocketTransport {
    /// How long the close handshake may take when this side ends the connection.
    static let closeGrace = TimeAmount.seconds(1)

    /// Connects, upgrades, then runs `handler` until either side ends the connection.
    ///
    /// - Returns: When `handler.run(outbound:)` returns (the connection is closed with 1000).
    /// - Throws: ``WebSocketTransportError`` when the connection cannot be made or when the peer
    ///   ends it (its close code and reason included); what `handler.run(outbound:)` throws
    ///   (the connection is closed with 1000 first); `CancellationError` when cancelled.
    public static func run(
        url: WebSocketURL, configuration: WebSocketTransportConfiguration, eventLoop: any EventLoop,
        handler: any ConnectionHandler, logger: Logger
    ) async throws {
        let connection = try await connect(
            url: url, configuration: configuration, eventLoop: eventLoop, handler: handler)
        logger.trace("websocket upgraded", metadata: ["url": "\(url)"])
        let outbound = WebSocketChannelOutbound(connection: connection)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await handler.run(outbound: outbound) }
            group.addTask {
                try? await connection.channel.closeFuture.get()
                throw await connection.ending()
            }
            // Whichever side ends first, the connection closes before the group waits for the other.
            defer { connection.close() }
            try await group.next()
        }
    }

    /// Connects and upgrades; returns once frames can flow.
    static func connect(
        url: WebSocketURL, configuration: WebSocketTransportConfiguration, eventLoop: any EventLoop,
        handler: any ConnectionHandler
    ) async throws -> WebSocketConnection {
        let sslContext: NIOSSLContext?
        if url.isSecure {
            do {
                sslContext = try NIOSSLContext(configuration: configuration.tls.configuration)
            } catch {
                throw WebSocketTransportError(.tlsFailed, "cannot set up TLS for \(url.hostHeader): \(error)")
            }
        } else {
            sslContext = nil
        }
        let upgraded = eventLoop.makePromise(of: Void.self)
        let installed = eventLoop.makePromise(of: NIOLoopBound<WebSocketMessageHandler>.self)
        let maxMessageSize = configuration.maxMessageSize
        let headers = configuration.headers
        let timeout = TimeAmount.nanoseconds(
            Int64(configuration.connectTimeout.components.seconds) * 1_000_000_000
                + configuration.connectTimeout.components.attoseconds / 1_000_000_000)
        let timer = eventLoop.scheduleTask(in: timeout) {
            upgraded.fail(
                WebSocketTransportError(
                    .timedOut, "connecting to \(url) did not complete within \(configuration.connectTimeout)"))
        }
        let bootstrap = ClientBootstrap(group: eventLoop)
            .connectTimeout(timeout)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    if let sslContext {
                        // SNI and DNS-name checks for host names; an IP literal is checked against the
                        // certificate's IP addresses (NIOSSL does that when no host name is given).
                        try pipeline.addHandler(
                            NIOSSLClientHandler(
                                context: sslContext, serverHostname: url.hostIsIPLiteral ? nil : url.host))
                    }
                    let request = UpgradeRequestHandler(url: url, headers: headers, upgraded: upgraded)
                    let messageHandler = NIOLoopBound(
                        WebSocketMessageHandler(handler: handler, maxMessageSize: maxMessageSize),
                        eventLoop: channel.eventLoop)
                    installed.succeed(messageHandler)
                    let upgrader = NIOWebSocketClientUpgrader(
                        maxFrameSize: maxMessageSize, automaticErrorHandling: true
                    ) { channel, _ in
                        channel.eventLoop.makeCompletedFuture {
                            try channel.pipeline.syncOperations.addHandler(messageHandler.value)
                        }
                    }
                    let requestBound = NIOLoopBound(request, eventLoop: channel.eventLoop)
                    try pipeline.addHTTPClientHandlers(
                        leftOverBytesStrategy: .forwardBytes,
                        withClientUpgrade: (
                            upgraders: [upgrader],
                            completionHandler: { context in
                                context.pipeline.syncOperations.removeHandler(requestBound.value, promise: nil)
                                upgraded.succeed()
                            }
                        ))
                    try pipeline.addHandler(request)
                }
            }
        let channel: any Channel
        do {
            channel = try await bootstrap.connect(host: url.host, port: url.port).get()
        } catch {
            timer.cancel()
            upgraded.fail(error)
            installed.fail(error)
            if let error = error as? WebSocketTransportError { throw error }
            if case .connectTimeout? = error as? ChannelError {
                throw WebSocketTransportError(
                    .timedOut, "connecting to \(url) did not complete within \(configuration.connectTimeout)")
            }
            throw WebSocketTransportError(.connectFailed, "cannot connect to \(url): \(error)")
        }
        do {
            try await withTaskCancellationHandler {
                try await upgraded.futureResult.get()
            } onCancel: {
                upgraded.fail(CancellationError())
            }
            timer.cancel()
        } catch {
            timer.cancel()
            channel.close(promise: nil)
            if error is CancellationError { throw error }
            throw UpgradeRequestHandler.transportError(error, url: url)
        }
        let messageHandler = try await installed.futureResult.get()
        return WebSocketConnection(channel: channel, handler: messageHandler)
    }
}

/// An upgraded connection: its channel and the message handler in its pipeline.
struct WebSocketConnection: Sendable {
    let channel: any Channel
    let handler: NIOLoopBound<WebSocketMessageHandler>

    /// Writes `frame`, flushing with the other writes of this tick.
    func send(_ frame: WebSocketFrame) async throws {
        let promise = channel.eventLoop.makePromise(of: Void.self)
        let handler = self.handler
        channel.eventLoop.execute { handler.value.send(frame, promise: promise) }
        try await promise.futureResult.get()
    }

    /// Starts the close handshake (1000); the channel closes when the server answers, or after a grace period.
    func close() {
        let handler = self.handler
        channel.eventLoop.execute { handler.value.close(code: .normalClosure, grace: WebSocketTransport.closeGrace) }
    }

    /// What ended the connection.
    func ending() async -> WebSocketTransportError {
        let handler = self.handler
        let ending = try? await channel.eventLoop.submit { handler.value.ending }.get()
        return ending ?? WebSocketTransportError(.connectionLost, "the connection closed")
    }
}

/// The router's way to send on a connection: masked text frames and pings.
struct WebSocketChannelOutbound: WebSocketOutbound {
    let connection: WebSocketConnection

    func send(_ message: OutboundMessage) async throws {
        switch message {
        case .text(let text):
            try await connection.send(
                WebSocketFrame(fin: true, opcode: .text, maskKey: .random(), data: ByteBuffer(string: text)))
        }
    }

    func sendPing() async throws {
        try await connection.send(WebSocketFrame(fin: true, opcode: .ping, maskKey: .random(), data: ByteBuffer()))
    }
}
