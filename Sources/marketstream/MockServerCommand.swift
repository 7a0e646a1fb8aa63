import ArgumentParser
import CoreMetrics
import Foundation
import Logging
import MarketStreamCore
import MockExchange
import NIOSSL
import Prometheus
import ServiceLifecycle
import UnixSignals

/// `marketstream mock-server`: runs the local Upbit-compatible exchange until interrupted.
struct MockServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mock-server",
        abstract: "Run the local mock exchange: Upbit, Bithumb and Binance (WebSocket + REST, paper trading, faults).",
        discussion: """
            The first line of output is `listening on ws://HOST:PORT` (wss:// with --tls-cert); the second names the REST base.
            Upbit paths: /websocket/v1, /websocket/v1/private, /v1/...; Bithumb's the same under /bithumb
            (private /bithumb/websocket/v2/private); Binance spot: /binance/stream, /binance/ws.
            """
    )

    @OptionGroup var logging: LogLevelOption
    @Option(help: "Address to bind.") var host = "127.0.0.1"
    @Option(help: "Port to bind; 0 picks a free one.") var port = 0
    @Option(help: "Seed of the simulated market.") var seed: UInt64 = 1
    @Option(help: "Number of simulated markets.") var markets = 20
    @Option(help: "Market updates per second.") var rate: Double = 50
    @Option(name: .customLong("access-key"), help: "Access key accepted on private endpoints.") var accessKey: String?
    @Option(name: .customLong("secret-key"), help: "Secret key of --access-key.") var secretKey: String?
    @Option(name: .customLong("idle-timeout"), help: "Seconds of silence before a socket is dropped.")
    var idleTimeout: Double = 120
    @Option(name: .customLong("drop-every"), help: "Fault: drop every WebSocket connection every N seconds.")
    var dropEvery: Double?
    @Flag(help: "Fault: stop sending data (sockets stay open, pings answered).") var stall = false
    @Flag(name: .customLong("refuse-connections"), help: "Fault: refuse WebSocket upgrades.") var refuseConnections =
        false
    @Flag(
        name: .customLong("reject-private-stream"),
        help: "Fault: answer private WebSocket connections with INVALID_AUTH while REST accepts the key.")
    var rejectPrivateStream = false
    @Option(name: .customLong("slow-ms"), help: "Fault: delay every data frame by N milliseconds.")
    var slowMilliseconds: Int?
    @Option(name: .customLong("malformed-fraction"), help: "Fault: fraction (0-1) of data frames sent malformed.")
    var malformedFraction: Double = 0
    @Option(
        name: .customLong("metrics-port"),
        help: "Serve Prometheus metrics (connections, events, frames, REST calls) at http://127.0.0.1:PORT/metrics.")
    var metricsPort: Int?
    @Option(name: .customLong("tls-cert"), help: "Serve wss:// and https:// with this PEM certificate chain.")
    var tlsCertificate: String?
    @Option(name: .customLong("tls-key"), help: "The PEM private key of --tls-cert.") var tlsKey: String?
    @Option(help: "Benchmark source: pre-generate N updates and replay them at --rate with frames encoded once.")
    var replay: Int?
    @Option(
        name: .customLong("binance-gap-every"),
        help: "Fault: skip one update id of every Binance book every N seconds (clients must resynchronize).")
    var binanceGapEvery: Double?
    @Option(
        name: .customLong("binance-lifetime"),
        help: "Seconds a Binance connection stays open before the server closes it (Binance: 86400).")
    var binanceLifetime: Double = 86_400
    @Option(
        name: .customLong("binance-streams"), help: "Streams one Binance connection may carry (Binance: 1024).")
    var binanceStreams = 1_024
    @Option(
        name: .customLong("binance-ping"), help: "Seconds between the Binance dialect's server pings (Binance: 20).")
    var binancePing: Double = 20

    func validate() throws {
        guard (0...65_535).contains(port) else { throw UsageError("--port must be between 0 and 65535") }
        guard (1...10_000).contains(markets) else { throw UsageError("--markets must be between 1 and 10000") }
        guard rate >= 0, rate <= 1_000_000 else { throw UsageError("--rate must be between 0 and 1000000") }
        guard (accessKey == nil) == (secretKey == nil) else {
            throw UsageError("--access-key and --secret-key go together")
        }
        try SecondsFlag.check(idleTimeout, "--idle-timeout")
        guard (0...1).contains(malformedFraction) else { throw UsageError("--malformed-fraction must be 0 to 1") }
        try SecondsFlag.check(dropEvery, "--drop-every")
        if let slowMilliseconds, slowMilliseconds < 0 { throw UsageError("--slow-ms must not be negative") }
        if let metricsPort, !(1...65_535).contains(metricsPort) {
            throw UsageError("--metrics-port must be between 1 and 65535")
        }
        guard (tlsCertificate == nil) == (tlsKey == nil) else {
            throw UsageError("--tls-cert and --tls-key go together")
        }
        for file in [tlsCertificate, tlsKey].compactMap({ $0 }) where !FileManager.default.isReadableFile(atPath: file)
        {
            throw UsageError("'\(file)' cannot be read")
        }
        if let replay, !(1...1_000_000).contains(replay) { throw UsageError("--replay must be between 1 and 1000000") }
        try SecondsFlag.check(binanceGapEvery, "--binance-gap-every")
        try SecondsFlag.check(binanceLifetime, "--binance-lifetime")
        try SecondsFlag.check(binancePing, "--binance-ping")
        guard (1...100_000).contains(binanceStreams) else {
            throw UsageError("--binance-streams must be between 1 and 100000")
        }
    }

    func run() async throws {
        var logger = Logger(label: "marketstream.mock-server")
        logger.logLevel = try logging.level(environment: ProcessInfo.processInfo.environment)
        let credentials = zip([accessKey].compactMap { $0 }, [secretKey].compactMap { $0 }).map {
            MockCredentials(accessKey: $0, secretKey: $1)
        }
        let faults = MockFaults(
            dropEvery: dropEvery.map { .milliseconds(Int64($0 * 1_000)) }, stalled: stall,
            refuseConnections: refuseConnections, slowDelay: slowMilliseconds.map { .milliseconds($0) },
            malformedFraction: malformedFraction, rejectPrivateStream: rejectPrivateStream,
            binanceGapEvery: binanceGapEvery.map { .milliseconds(Int64($0 * 1_000)) })
        var tls: TLSConfiguration?
        // With TLS, the address announced is one the certificate names (127.0.0.1 → localhost).
        let announced = tlsCertificate.flatMap { try? String(contentsOfFile: $0, encoding: .utf8) }.map {
            CertificateName.announcedHost(for: host, certificatePEM: $0)
        }
        if let tlsCertificate, let tlsKey {
            do {
                tls = TLSConfiguration.makeServerConfiguration(
                    certificateChain: try NIOSSLCertificate.fromPEMFile(tlsCertificate).map { .certificate($0) },
                    privateKey: .privateKey(try NIOSSLPrivateKey(file: tlsKey, format: .pem)))
            } catch {
                throw CommandFailure(message: "cannot use --tls-cert/--tls-key: \(error)")
            }
        }
        let registry = PrometheusCollectorRegistry()
        let server = MockExchangeServer(
            configuration: MockExchangeConfiguration(
                host: host, port: port, seed: seed, marketCount: markets, updatesPerSecond: rate,
                credentials: credentials, idleTimeout: .milliseconds(Int64(idleTimeout * 1_000)), faults: faults,
                replaySteps: replay, tls: tls,
                binance: MockBinanceSettings(
                    streamsPerConnection: binanceStreams, pingInterval: .milliseconds(Int64(binancePing * 1_000)),
                    connectionLifetime: .milliseconds(Int64(binanceLifetime * 1_000)))),
            logger: logger,
            metricsFactory: metricsPort == nil ? MetricsSystem.factory : MetricsEndpoint.makeFactory(registry: registry)
        )
        let metrics = metricsPort.map { MetricsEndpoint(registry: registry, port: $0, logger: logger) }
        let services: [any Service] = [server] + (metrics.map { [$0] } ?? [])
        try await ProgramRun.run(services: services, logger: logger) {
            // Announced once everything listens, so the first line is an address that works.
            var endpoint = try await server.endpoint()
            if let announced { endpoint.host = announced }
            _ = try await metrics?.listening.wait()
            // Written unbuffered: scripts read the first line while the server keeps running.
            TerminalOutput.standardOutput("listening on \(endpoint.webSocketBase)\nrest \(endpoint.restBase)\n".utf8)
            try await Task.sleep(for: .seconds(365 * 86_400 * 100))
        }
    }
}
