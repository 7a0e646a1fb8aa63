import CoreMetrics
import Foundation
import Hummingbird
import Logging
import MarketStreamCore
import NIOCore
import Prometheus
import ServiceLifecycle
import Synchronization

/// The gateway's live dashboard and its Prometheus endpoint (Hummingbird), on loopback:
///
/// - `/`: a page that updates itself every second over server-sent events: per venue channel its
///   state, mode, generation, messages/s, reconnects, drops and upstream set; per remote process
///   its demand, lease age and renewals;
/// - `/events`: those updates, as `text/event-stream`;
/// - `/status.json`: the current one;
/// - `/metrics`: the router's swift-metrics figures in Prometheus text.
public final class GatewayDashboard: Service, Sendable {
    let gateway: MarketDataGateway
    let id: String
    let registry: PrometheusCollectorRegistry
    let host: String
    let port: Int
    let logger: Logger
    /// The port it listens on, once it does.
    private let boundPort = ReadySignal<Int>()

    /// Creates the dashboard.
    /// - Parameters:
    ///   - gateway: The gateway it shows.
    ///   - id: The gateway's name.
    ///   - registry: Where the gateway's router records its metrics (``makeMetricsFactory(registry:)``).
    ///   - host: The address to listen on (default loopback).
    ///   - port: The port (0: any free one, see ``listeningPort()``).
    ///   - logger: Where the server logs.
    public init(
        gateway: MarketDataGateway, id: String, registry: PrometheusCollectorRegistry, host: String = "127.0.0.1",
        port: Int, logger: Logger
    ) {
        self.gateway = gateway
        self.id = id
        self.registry = registry
        self.host = host
        self.port = port
        self.logger = logger
    }

    /// A metrics factory whose figures `/metrics` serves, with Prometheus-safe names.
    public static func makeMetricsFactory(registry: PrometheusCollectorRegistry) -> any MetricsFactory {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.nameAndLabelSanitizer = { name, labels in
            (sanitize(name), labels.map { (sanitize($0.0), $0.1) })
        }
        return factory
    }

    private static func sanitize(_ name: String) -> String {
        String(name.map { $0.isLetter || $0.isNumber || $0 == "_" ? $0 : "_" })
    }

    /// Waits until the dashboard listens; returns its port.
    /// - Throws: Why ``run()`` ended without listening (a port in use), or `CancellationError`
    ///   when the calling task is cancelled first.
    public func listeningPort() async throws -> Int { try await boundPort.wait() }

    public func run() async throws {
        let router = Router()
        let gateway = self.gateway
        let id = self.id
        let registry = self.registry
        router.get("/") { _, _ -> Response in
            var headers = HTTPFields()
            headers[.contentType] = "text/html; charset=utf-8"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: dashboardPage)))
        }
        router.get("/status.json") { _, _ -> Response in
            var headers = HTTPFields()
            headers[.contentType] = "application/json"
            let body = try JSONEncoder().encode(DashboardSnapshot.of(gateway, id: id, sequence: 0))
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
        }
        router.get("/events") { _, _ -> Response in
            var headers = HTTPFields()
            headers[.contentType] = "text/event-stream"
            headers[.cacheControl] = "no-cache"
            return Response(
                status: .ok, headers: headers,
                body: ResponseBody { writer in
                    let encoder = JSONEncoder()
                    var sequence = 0
                    // The stream ends (within a second) when the server shuts down gracefully,
                    // which waits for the requests under way.
                    while !Task.isCancelled && !Task.isShuttingDownGracefully {
                        sequence += 1
                        let body = try encoder.encode(DashboardSnapshot.of(gateway, id: id, sequence: sequence))
                        var buffer = ByteBuffer(string: "data: ")
                        buffer.writeBytes(body)
                        buffer.writeString("\n\n")
                        try await writer.write(buffer)
                        try await Task.sleep(for: .seconds(1))
                    }
                    try await writer.finish(nil)
                })
        }
        router.get("/metrics") { _, _ -> Response in
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            return Response(
                status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: registry.emitToBuffer())))
        }
        // Hummingbird logs a cancelled accept loop (the gateway stopping, SIGINT) as an error: its
        // server logs only critical messages unless debugging (as the mock exchange's does). A port
        // it cannot bind is thrown, not logged.
        var quiet = logger
        if logger.logLevel > .debug { quiet.logLevel = .critical }
        let application = Application(
            router: router,
            configuration: ApplicationConfiguration(
                address: .hostname(host, port: port), serverName: "marketstream-gateway"),
            onServerRunning: { [self] channel in
                guard let port = channel.localAddress?.port else { return }
                logger.notice("dashboard on http://\(host):\(port)/ (Prometheus: /metrics)")
                boundPort.resolve(port)
            },
            logger: quiet)
        // Cancelling a Hummingbird server while it accepts a connection can trap in SwiftNIO
        // ("Deinited NIOAsyncWriter without calling finish()", apple/swift-nio#3481; it did when
        // Ctrl-C met the dashboard's first request). So the server runs in a group of its own, not
        // in the caller's task, and a cancelled caller shuts it down gracefully, which finishes
        // every accepted connection.
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: [ServiceGroupConfiguration.ServiceConfiguration(service: application)], logger: quiet))
        let serving = Task { try await group.run() }
        do {
            try await withTaskCancellationHandler {
                try await serving.value
            } onCancel: {
                Task { await group.triggerGracefulShutdown() }
            }
        } catch {
            boundPort.fail(error)
            throw error
        }
        boundPort.fail(CancellationError())
    }
}
