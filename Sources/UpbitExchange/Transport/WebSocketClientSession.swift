import Logging
import MarketStreamCore
import NIOCore
import NIOSSL
import NIOWebSocket
import WSClient

/// Runs one router connection over swift-websocket's `WSClient`: the handler's `run(outbound:)`
/// alongside a read loop that hands every text or binary message to `receive(_:)`. Shared by the
/// exchange modules of this package.
package enum WebSocketClientSession {
    /// Connects to `url` and runs `handler` until either side ends the connection.
    /// - Throws: ``MarketStreamError`` with `.connectionRefused` when the connection fails (the error
    ///   never includes request headers, which may carry a token).
    ///
    /// The connection lives on `executor`'s event loop, and the read loop runs there too, so a
    /// frame is decoded and routed on the thread that read it.
    package static func run(
        url: String, configuration: WebSocketClientConfiguration, tls: TLSConfiguration?, exchange: ExchangeID,
        executor: EventLoopTaskExecutor, logger: Logger, handler: any ConnectionHandler
    ) async throws {
        let maxSize = configuration.maxFrameSize
        do {
            try await WebSocketClient.connect(
                url: url, configuration: configuration, tlsConfiguration: tls, eventLoopGroup: executor.eventLoop,
                logger: logger
            ) { inbound, outbound, _ in
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { try await handler.run(outbound: Outbound(writer: outbound)) }
                    group.addTask(executorPreference: executor) {
                        for try await message in inbound.messages(maxSize: maxSize) {
                            switch message {
                            case .binary(let buffer): handler.receive(.binary(Array(buffer: buffer)))
                            case .text(let text): handler.receive(.text(text))
                            }
                        }
                    }
                    defer { group.cancelAll() }
                    try await group.next()
                }
            }
        } catch let error as MarketStreamError {
            throw error
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw MarketStreamError(.connectionRefused, "cannot connect to \(url): \(error)", exchange: exchange)
        }
    }

    private struct Outbound: WebSocketOutbound {
        let writer: WebSocketOutboundWriter

        func send(_ message: OutboundMessage) async throws {
            switch message {
            case .text(let text): try await writer.write(.text(text))
            }
        }

        func sendPing() async throws {
            try await writer.write(.custom(NIOWebSocket.WebSocketFrame(fin: true, opcode: .ping, data: ByteBuffer())))
        }
    }
}
