import CoreMetrics
import Hummingbird
import Logging
import MarketStreamCore
import MockExchange
import Prometheus
import ServiceLifecycle

/// `--metrics-port`: the swift-metrics figures in Prometheus text exposition at
/// `http://127.0.0.1:PORT/metrics`. A port that cannot be bound ends the program with one line
/// (``ListenFailure``).
struct MetricsEndpoint: Service {
    let registry: PrometheusCollectorRegistry
    let port: Int
    let logger: Logger
    /// Resolved once the endpoint listens or has failed to.
    let listening = ReadySignal<Void>()

    /// A factory whose figures this endpoint serves. Metric names become Prometheus names
    /// (`marketstream.messages.received` → `marketstream_messages_received`).
    static func makeFactory(registry: PrometheusCollectorRegistry) -> any MetricsFactory {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.nameAndLabelSanitizer = { name, labels in
            (sanitize(name), labels.map { (sanitize($0.0), $0.1) })
        }
        return factory
    }

    private static func sanitize(_ name: String) -> String {
        String(name.map { $0.isLetter || $0.isNumber || $0 == "_" ? $0 : "_" })
    }

    func run() async throws {
        let registry = self.registry
        let router = Router()
        router.get("/metrics") { _, _ -> Response in
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            return Response(
                status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: registry.emitToBuffer())))
        }
        let listening = self.listening
        let application = Application(
            router: router,
            configuration: ApplicationConfiguration(
                address: .hostname("127.0.0.1", port: port), serverName: "marketstream"),
            onServerRunning: { _ in listening.resolve(()) },
            logger: MockExchangeServer.quieted(logger))
        do {
            // `run()`, not `runService()`: signals belong to the program's service group.
            try await application.run()
        } catch {
            // A failure after listening is no failure to listen.
            let failure = ListenFailure(host: "127.0.0.1", port: port, error: error)
            guard listening.fail(failure) else { throw error }
            throw failure
        }
    }
}
