import HTTPTypes
import HummingbirdWebSocket
import Logging
import MarketStreamCore
import NIOCore
import UpbitWire

extension MockExchangeCore {
    /// Decides a WebSocket upgrade: Upbit's public and private paths, Bithumb's under `/bithumb`
    /// (`/bithumb/websocket/v1`, `/bithumb/websocket/v2/private`), Binance's under `/binance`
    /// (`/binance/stream` for combined streams, `/binance/ws` for raw ones); refused (HTTP 404 from the router) when connections are being refused.
    func upgrade(request: HTTPRequest, channel: any Channel, logger: Logger)
        -> ShouldUpgradeResult<WebSocketDataHandler<HTTP1WebSocketUpgradeChannel.Context>>
    {
        guard !faults.refuseConnections else { return .dontUpgrade }
        let path = (request.path ?? "").split(separator: "?").first.map(String.init) ?? ""
        switch path {
        case "/websocket/v1", "/websocket/v1/private", "/bithumb/websocket/v1", "/bithumb/websocket/v2/private":
            let isPrivate = path.hasSuffix("/private")
            let variant: UpbitWireVariant = path.hasPrefix("/bithumb/") ? .bithumb : .upbit
            let authError: UpbitErrorFrame?
            if isPrivate {
                do {
                    let claims = try JWTVerifier.verify(
                        authorization: request.headerFields[.authorization], credentials: configuration.credentials)
                    // Bithumb requires the `timestamp` claim.
                    let complete = variant == .upbit || claims.timestamp != nil
                    authError = complete && useNonce(claims.nonce) && !faults.rejectPrivateStream ? nil : .invalidAuth
                } catch {
                    authError = .invalidAuth
                }
            } else {
                authError = nil
            }
            return .upgrade([:]) { inbound, outbound, _ in
                try await self.runUpbit(
                    isPrivate: isPrivate, variant: variant, authError: authError, channel: channel, inbound: inbound,
                    outbound: outbound,
                    logger: logger)
            }
        case "/binance/stream", "/binance/ws":
            return .upgrade([:]) { inbound, outbound, _ in
                try await self.runBinance(
                    combined: path == "/binance/stream", channel: channel, inbound: inbound, outbound: outbound)
            }
        default:
            return .dontUpgrade
        }
    }

    private func runUpbit(
        isPrivate: Bool, variant: UpbitWireVariant, authError: UpbitErrorFrame?, channel: any Channel,
        inbound: WebSocketInboundStream,
        outbound: WebSocketOutboundWriter, logger: Logger
    ) async throws {
        let id = makeConnectionID()
        let frames = OutboundQueue()
        let connection = UpbitConnection(
            id: id, isPrivate: isPrivate, variant: variant, messageLimits: configuration.messageLimits,
            outbound: frames)
        if let authError {
            connection.fail(authError, exchange: self)
        } else {
            register(connection, channel: channel)
        }
        defer {
            unregister(id)
            frames.finish()
        }
        let session = WebSocketSession(core: self, channel: channel)
        try await session.run(
            outboundFrames: frames, inbound: inbound, outbound: outbound, statusSource: { connection.isPinging },
            receive: { [self] text, arrived in connection.receive(text: text, at: arrived, exchange: self) })
    }

    private func runBinance(
        combined: Bool, channel: any Channel, inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter
    ) async throws {
        let id = makeConnectionID()
        let frames = OutboundQueue()
        let connection = BinanceConnection(
            id: id, combined: combined, settings: configuration.binance, outbound: frames)
        register(connection, channel: channel)
        defer {
            unregister(id)
            frames.finish()
        }
        let session = WebSocketSession(core: self, channel: channel)
        try await session.run(
            outboundFrames: frames, inbound: inbound, outbound: outbound, statusSource: nil,
            serverPings: configuration.binance.pingInterval, lifetime: configuration.binance.connectionLifetime,
            receive: { [self] text, arrived in connection.receive(text: text, at: arrived, exchange: self) })
    }
}
