import NIOCore
import NIOHTTP1
import NIOSSL

/// Sends the upgrade request once the connection (and TLS) is up, and turns anything but a
/// successful upgrade into a ``WebSocketTransportError``: a refused upgrade with its status, body
/// and `Remaining-Req`, a TLS failure, a connection that closes first.
///
/// The request carries `Host`, the headers the exchange module asked for and, added by NIO's
/// upgrader, `Connection`, `Upgrade`, `Sec-WebSocket-Key` and `Sec-WebSocket-Version` — nothing else.
final class UpgradeRequestHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    private let url: WebSocketURL
    private let headers: HTTPHeaders
    private let upgraded: EventLoopPromise<Void>
    private var refusal: (head: HTTPResponseHead, body: ByteBuffer)?
    private var requestSent = false
    private static let bodyLimit = 1024

    init(url: WebSocketURL, headers: HTTPHeaders, upgraded: EventLoopPromise<Void>) {
        self.url = url
        self.headers = headers
        self.upgraded = upgraded
    }

    func channelActive(context: ChannelHandlerContext) {
        sendRequest(context: context)
        context.fireChannelActive()
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { sendRequest(context: context) }
    }

    private func sendRequest(context: ChannelHandlerContext) {
        guard !requestSent else { return }
        requestSent = true
        var headers = HTTPHeaders()
        headers.add(name: "Host", value: url.hostHeader)
        headers.add(contentsOf: self.headers)
        let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: url.requestTarget, headers: headers)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            refusal = (head, context.channel.allocator.buffer(capacity: 0))
        case .body(var body):
            guard var current = refusal else { return }
            let room = Self.bodyLimit - current.body.readableBytes
            if room > 0, let slice = body.readSlice(length: min(room, body.readableBytes)) {
                var slice = slice
                current.body.writeBuffer(&slice)
                refusal = current
            }
        case .end:
            guard let refusal else { return }
            let status = Int(refusal.head.status.code)
            let remaining = refusal.head.headers.first(name: "Remaining-Req")
            let body = String(buffer: refusal.body)
            upgraded.fail(
                WebSocketTransportError(
                    .upgradeRefused,
                    "the server refused the WebSocket upgrade of \(url) with HTTP \(status)"
                        + (body.isEmpty ? "" : ": \(body.prefix(200))"),
                    httpStatus: status, body: body, remainingRequests: remaining))
            context.close(promise: nil)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        upgraded.fail(Self.transportError(error, url: url))
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        upgraded.fail(
            WebSocketTransportError(.connectionLost, "the connection to \(url) closed before the upgrade completed"))
        context.fireChannelInactive()
    }

    /// Names an error seen before the upgrade completed.
    static func transportError(_ error: any Error, url: WebSocketURL) -> WebSocketTransportError {
        if let error = error as? WebSocketTransportError { return error }
        if error is NIOSSLError || error is NIOSSLExtraError || error is BoringSSLError {
            return WebSocketTransportError(.tlsFailed, "TLS with \(url.hostHeader) failed: \(error)")
        }
        if let error = error as? NIOHTTPClientUpgradeError {
            return WebSocketTransportError(
                .upgradeInvalid, "the server's answer to the WebSocket upgrade of \(url) is invalid: \(error)")
        }
        return WebSocketTransportError(.connectFailed, "cannot connect to \(url): \(error)")
    }
}
