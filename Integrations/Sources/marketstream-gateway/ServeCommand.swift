import ArgumentParser
import Foundation
import Logging
import MarketStreamCore
import MarketStreamNATS
import MarketStreamRecording
import MarketStreamRouting
import MockExchange
import Prometheus
import ServiceLifecycle

/// Runs the gateway: against the embedded mock exchange unless another venue is named.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve", abstract: "Run the gateway (the default command).")

    @Option(
        help:
            "The venue: \(VenueChoice.allCases.map(\.rawValue).joined(separator: ", ")) (mock: an embedded mock exchange)."
    )
    var exchange: VenueChoice = .mock

    @Option(help: "The NATS server.")
    var nats = "nats://127.0.0.1:4222"

    @Option(help: "The gateway's name on the bus.")
    var id = "gateway-\(ProcessInfo.processInfo.processIdentifier)"

    @Option(
        help: "The gateway's epoch (fencing token): higher than any earlier gateway's. Default: the time in seconds.")
    var epoch: UInt32?

    @Flag(
        help:
            "Take part in leader election (a JetStream key-value lease; the server needs -js): one gateway of the venue serves, the others stand by warm and take over within about 2 s of its death."
    )
    var failover = false

    @Option(
        help:
            "Reach the venue at this WebSocket base URL instead (for --exchange mock: a mock exchange already running)."
    )
    var upstream: String?

    @Option(help: "The dashboard's and /metrics' port on 127.0.0.1 (0: any free port).")
    var dashboardPort = 8090

    @Flag(help: "Serve no dashboard.")
    var noDashboard = false

    @Option(
        help:
            "How frames are written to NATS: immediate (each at once, the lowest latency) or combined (frames that come while a write is under way go together in the next: more frames per second under load, more latency)."
    )
    var writes: BusWrites = .immediate

    @Option(help: "Also record every frame served to hourly files under this directory (see `record`).")
    var recordDir: String?

    @Option(help: "Log level.")
    var logLevel: Logger.Level = .info

    func validate() throws {
        guard nats.hasPrefix("nats://") else { throw ValidationError("--nats '\(nats)' is not a nats:// URL") }
        // Epoch 0 marks a standby that does not serve: a gateway started with it would publish nothing.
        if epoch == 0 { throw ValidationError("--epoch must be 1 or more (0 is a standby's, which publishes nothing)") }
        if let upstream, !(upstream.hasPrefix("ws://") || upstream.hasPrefix("wss://")) {
            throw ValidationError("--upstream '\(upstream)' is not a ws:// or wss:// URL")
        }
        guard (0...65_535).contains(dashboardPort) else {
            throw ValidationError("--dashboard-port \(dashboardPort) is not a port (0–65535)")
        }
        guard BusSubjects.isToken(id) else {
            throw ValidationError("--id '\(id)' may hold only letters, digits, - and _")
        }
    }

    func run() async throws {
        var logger = Logger(label: "marketstream.gateway")
        logger.logLevel = logLevel
        var quiet = logger
        quiet.logLevel = logger.logLevel <= .debug ? logger.logLevel : .critical
        let mock =
            exchange == .mock ? MockExchangeServer(configuration: MockExchangeConfiguration(), logger: quiet) : nil
        let bus: NATSConnection
        do {
            bus = try await NATSConnection.connect(.gateway(url: nats, name: id, writeMode: writes.mode))
        } catch {
            throw GatewayFailure("cannot reach the NATS server at \(nats): \(error)")
        }
        let epoch = self.epoch ?? UInt32(truncatingIfNeeded: Int(Date().timeIntervalSince1970))
        let exchange = self.exchange
        let id = self.id
        let upstream = self.upstream
        let recordDir = self.recordDir
        let leadership: GatewayLeadership?
        do {
            leadership =
                failover
                ? try await GatewayLeadership(bus: bus, venue: exchange.exchangeID.rawValue, id: id) : nil
        } catch {
            await bus.close()
            throw GatewayFailure("--failover needs JetStream on the NATS server (nats-server -js): \(error)")
        }
        let services: [any Service] = mock.map { [$0] } ?? []
        let registry = PrometheusCollectorRegistry()
        let dashboardPort = noDashboard ? nil : self.dashboardPort
        let jobLogger = logger
        let outcome = try await ServiceProgram.run(services: services, logger: logger) {
            var base = upstream
            if base == nil, let mock { base = try await mock.endpoint().webSocketBase }
            let manager = try exchange.module(baseURL: base, logger: jobLogger)
            let recorder = recordDir.map { directory in
                FrameRecorder(
                    configuration: .init(
                        directory: directory, recording: manager,
                        recorder: "marketstream-gateway serve \(id)"),
                    logger: jobLogger)
            }
            let gateway = try MarketDataGateway(
                manager: manager, bus: bus, configuration: GatewayConfiguration(id: id, epoch: epoch),
                leadership: leadership, recorder: recorder, logger: jobLogger,
                metricsFactory: GatewayDashboard.makeMetricsFactory(registry: registry))
            // Whichever of the gateway, the dashboard and the recorder ends first ends all; a
            // recorder finishes its file as it ends.
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await gateway.run() }
                if let dashboardPort {
                    let dashboard = GatewayDashboard(
                        gateway: gateway, id: id, registry: registry, port: dashboardPort, logger: jobLogger)
                    group.addTask { try await dashboard.run() }
                }
                if let recorder { group.addTask { try await recorder.run() } }
                try await group.next()
                group.cancelAll()
            }
        }
        await bus.close()
        if outcome != .completed { throw ExitCode(outcome.exitStatus) }
    }
}
