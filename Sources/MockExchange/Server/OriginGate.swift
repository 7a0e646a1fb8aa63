import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1

/// Upbit's `Origin` rule in front of the mock's HTTP server: a request (WebSocket upgrade or REST
/// call) whose `Origin` header is over the limit is answered `429 Too Many Requests` with
/// `Remaining-Req: group=origin; …` before it reaches the upgrade or the router.
struct OriginGatedChannel<Base: ServerChildChannel>: ServerChildChannel {
    let base: Base
    let core: MockExchangeCore

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Base.Value> {
        base.setup(channel: channel, logger: logger).flatMapThrowing { value in
            let pipeline = channel.pipeline.syncOperations
            let decoder = try pipeline.handler(type: ByteToMessageHandler<HTTPRequestDecoder>.self)
            try pipeline.addHandler(OriginGateHandler(core: core), position: .after(decoder))
            return value
        }
    }

    func handle(value: Base.Value, logger: Logger) async {
        await base.handle(value: value, logger: logger)
    }
}

/// Sits right after the HTTP request decoder; leaves the pipeline once a WebSocket upgrade
/// request has passed, so that it never sees frames.
final class OriginGateHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let core: MockExchangeCore
    private var refusing = false
    private var passingUpgrade = false

    init(core: MockExchangeCore) {
        self.core = core
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        switch part {
        case .head(let head):
            let verdict = core.originVerdict(
                hasOrigin: head.headers.contains(name: "Origin"), address: context.channel.remoteAddress)
            if case .refused(let remaining) = verdict {
                refusing = true
                refuse(context: context, remaining: remaining)
                return
            }
            refusing = false
            passingUpgrade = head.headers[canonicalForm: "upgrade"].contains { $0.lowercased() == "websocket" }
            context.fireChannelRead(data)
        case .body:
            if !refusing { context.fireChannelRead(data) }
        case .end:
            guard !refusing else { return }
            context.fireChannelRead(data)
            if passingUpgrade { context.pipeline.syncOperations.removeHandler(context: context, promise: nil) }
        }
    }

    private func refuse(context: ChannelHandlerContext, remaining: String) {
        core.metrics.restCall(group: "origin", status: 429)
        let body = UpbitOriginRefusal.body
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/json; charset=utf-8")
        headers.add(name: "Content-Length", value: "\(body.utf8.count)")
        headers.add(name: "Remaining-Req", value: remaining)
        headers.add(name: "Connection", value: "close")
        context.write(
            wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .tooManyRequests, headers: headers))),
            promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: body)))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { [channel = context.channel] _ in
            channel.close(promise: nil)
        }
    }
}

/// The body Upbit answers a request over the `Origin` limit with.
enum UpbitOriginRefusal {
    static let body = #"{"error":{"name":"too_many_requests","message":"Origin 헤더를 포함한 요청은 10초당 1회로 제한됩니다."}}"#
}
