import ArgumentParser
import BinanceExchange
import CoreMetrics
import Foundation
import Logging
import MarketStreamCore
import MarketStreamPlugins
import MarketStreamRouting
import MockExchange
import Prometheus
import ServiceLifecycle
import UpbitExchange

/// `marketstream watch`: streams live events from the embedded mock exchange or from Upbit.
struct WatchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch",
        abstract: "Stream live market data through the shared, supervised connection.",
        discussion: """
            By default an embedded mock exchange starts on a loopback port and the real Upbit client \
            connects to it over the socket (no network, no keys). With --exchange upbit the client \
            connects to wss://api.upbit.com (or --endpoint); private kinds (myOrder, myAsset) use \
            UPBIT_ACCESS_KEY and UPBIT_SECRET_KEY. --exchange bithumb, upbit-sg, upbit-id and \
            upbit-th reach Bithumb and Upbit's Singapore, Indonesia and Thailand sites (keys in \
            BITHUMB_*, UPBIT_SG_*, … ); add --mock to run that venue's dialect against the embedded \
            mock exchange instead. Several venues, comma-separated (--exchange upbit,bithumb), share \
            one router: each kind is watched on each of them. --plugin loads a data-type plugin (a path, or a \
            name looked up in the colon-separated directories of MARKETSTREAM_PLUGIN_PATH); its \
            kind can then be given in --types.

            Output: with --json, one JSON object per event (exchange, type, code, stream = \
            snapshot, realtime or polled, timestamp, received_at, epoch, then Upbit's DEFAULT field \
            names with exact decimals); otherwise a live table on a terminal, or one plain line \
            per event when stdout is not a terminal. Exit status 0 after --count events or \
            --duration seconds; bad flags and unreachable endpoints print one line on stderr and \
            exit non-zero.
            """
    )

    enum ExchangeChoice: String, CaseIterable {
        case mock, upbit, bithumb, binance
        case upbitSingapore = "upbit-sg", upbitIndonesia = "upbit-id", upbitThailand = "upbit-th"

        /// The venue's dialect, named by its exchange id (the embedded mock speaks Upbit's);
        /// `nil` for Binance, which has a module of its own.
        var dialect: UpbitDialect? {
            self == .binance ? nil : UpbitDialect.named(ExchangeID(rawValue: rawValue)) ?? .upbit
        }

        /// Where the embedded mock serves the venue's dialect, below its WebSocket base.
        var mockPath: String {
            switch self {
            case .bithumb: "/bithumb"
            case .binance: "/binance"
            default: ""
            }
        }
    }

    /// One venue's module and where it connects, as `watch` runs it.
    struct Venue {
        var manager: any AbstractWebSocketManager
        var endpoint: String
        /// Whether `--json` names its fields as Upbit's DEFAULT format does.
        var speaksUpbit: Bool
    }

    @OptionGroup var logging: LogLevelOption
    @Option(
        help:
            "mock (embedded, default), upbit, bithumb, binance, upbit-sg, upbit-id or upbit-th; several venues comma-separated."
    )
    var exchange = "mock"
    @Flag(help: "Run the --exchange venue's dialect against the embedded mock exchange (no network, no keys).")
    var mock = false
    @Option(help: "WebSocket base URL; /websocket/v1 and /websocket/v1/private are appended.") var endpoint: String?
    @Option(
        name: .customLong("rest-endpoint"),
        help: "REST base URL for snapshots and the private fallback (default: --endpoint with https:// or http://).")
    var restEndpoint: String?
    @Option(
        help:
            "Comma-separated kinds: ticker,trade,orderbook,orderbook.15,candle.1m,myOrder,myAsset, or a plugin's kind."
    )
    var types = "ticker"
    @Option(help: "Comma-separated market codes.") var codes = "KRW-BTC"
    @Option(help: "Exit after this many events.") var count: Int?
    @Option(help: "Exit after this many seconds.") var duration: Double?
    @Flag(help: "Print one JSON object per event.") var json = false
    @Option(
        name: .customLong("plugin"),
        help:
            "A data-type plugin to load: a path to its shared library, or a name in MARKETSTREAM_PLUGIN_PATH (repeatable)."
    )
    var plugins: [String] = []
    @Option(name: .customLong("ca-file"), help: "A PEM CA certificate to trust in addition to the system's.")
    var caFile: String?
    @Option(
        name: .customLong("metrics-port"),
        help: "Serve Prometheus metrics at http://127.0.0.1:PORT/metrics while watching.")
    var metricsPort: Int?
    @Option(
        name: .customLong("health-interval"), help: "Print a health snapshot as a JSON line on stderr every S seconds.")
    var healthInterval: Double?

    /// The venues of `--exchange`, in order, without duplicates.
    private func venues() throws(UsageError) -> [ExchangeChoice] {
        var venues: [ExchangeChoice] = []
        for part in exchange.split(separator: ",") {
            let name = part.trimmingCharacters(in: .whitespaces)
            guard let venue = ExchangeChoice(rawValue: name) else {
                let known = ExchangeChoice.allCases.map(\.rawValue).joined(separator: ", ")
                throw UsageError("unknown exchange '\(name)' (known: \(known))")
            }
            if !venues.contains(venue) { venues.append(venue) }
        }
        guard !venues.isEmpty else { throw UsageError("no exchange given") }
        if venues.count > 1, venues.contains(.mock) {
            throw UsageError("mock stands alone; add --mock to run several venues' dialects against the mock exchange")
        }
        return venues
    }

    func validate() throws {
        let venues = try venues()
        if venues.count > 1, endpoint != nil || restEndpoint != nil {
            throw UsageError("--endpoint and --rest-endpoint apply to a single venue")
        }
        do {
            _ = try kinds()
            _ = try MarketCode.parseList(codes)
        } catch {
            throw UsageError(error.message)
        }
        if let count, count < 1 { throw UsageError("--count must be at least 1") }
        try SecondsFlag.check(duration, "--duration")
        if let endpoint, !(endpoint.hasPrefix("ws://") || endpoint.hasPrefix("wss://")) {
            throw UsageError("--endpoint must start with ws:// or wss://")
        }
        if venues == [.mock] || mock, endpoint != nil || restEndpoint != nil {
            throw UsageError("--endpoint and --rest-endpoint reach a real venue; the mock exchange is embedded")
        }
        if let restEndpoint, !(restEndpoint.hasPrefix("http://") || restEndpoint.hasPrefix("https://")) {
            throw UsageError("--rest-endpoint must start with http:// or https://")
        }
        if let metricsPort, !(1...65_535).contains(metricsPort) {
            throw UsageError("--metrics-port must be between 1 and 65535")
        }
        try SecondsFlag.check(healthInterval, "--health-interval")
        if let caFile, !FileManager.default.isReadableFile(atPath: caFile) {
            throw UsageError("--ca-file '\(caFile)' cannot be read")
        }
    }

    private func kinds() throws(MarketStreamError) -> [DataKind] {
        var kinds: [DataKind] = []
        for part in types.split(separator: ",") {
            let kind = try DataKind(parsing: String(part.trimmingCharacters(in: .whitespaces)))
            guard !kind.isCustom || !plugins.isEmpty else {
                throw MarketStreamError(.unknownDataKind, "unknown type '\(kind)': no exchange or plugin provides it")
            }
            if !kinds.contains(kind) { kinds.append(kind) }
        }
        guard !kinds.isEmpty else { throw MarketStreamError(.invalidArgument, "no types given") }
        return kinds
    }

    func run() async throws {
        var logger = Logger(label: "marketstream.watch")
        logger.logLevel = try logging.level(environment: ProcessInfo.processInfo.environment)
        let kinds = try kinds()
        let markets = try MarketCode.parseList(codes)
        let handlers = try loadPlugins(for: kinds)
        let output = WatchOutput(json: json)
        let venues = try venues()
        if venues == [.mock] || mock {
            // Keys made up for this run: the embedded exchange accepts them, so private kinds work too.
            let credentials = UpbitCredentials(
                accessKey: "mock-" + UUID().uuidString.lowercased(), secretKey: UUID().uuidString + UUID().uuidString)
            var serverLogger = logger
            // The embedded server's shutdown is not news, unless asked for debugging.
            serverLogger.logLevel = logger.logLevel <= .debug ? logger.logLevel : .critical
            let server = MockExchangeServer(
                configuration: MockExchangeConfiguration(
                    credentials: [MockCredentials(accessKey: credentials.accessKey, secretKey: credentials.secretKey)]),
                logger: serverLogger)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await server.run() }
                defer { group.cancelAll() }
                let endpoint = try await server.endpoint()
                let exchanges = try venues.map { venue in
                    try Self.venue(
                        venue, baseURL: endpoint.webSocketBase + venue.mockPath, restBaseURL: nil,
                        credentials: credentials, caFile: nil, logger: logger)
                }
                try await stream(
                    kinds: kinds, markets: markets, exchanges: exchanges, handlers: handlers, output: output,
                    logger: logger)
            }
        } else {
            let exchanges = try venues.map { venue in
                try Self.venue(
                    venue, baseURL: endpoint, restBaseURL: restEndpoint,
                    credentials: venue.dialect.flatMap {
                        UpbitCredentials.fromEnvironment(
                            ProcessInfo.processInfo.environment, prefix: $0.environmentPrefix)
                    }, caFile: caFile, logger: logger)
            }
            try await stream(
                kinds: kinds, markets: markets, exchanges: exchanges, handlers: handlers, output: output,
                logger: logger)
        }
    }

    /// The module of `choice`: `baseURL` `nil` reaches the real venue.
    private static func venue(
        _ choice: ExchangeChoice, baseURL: String?, restBaseURL: String?, credentials: UpbitCredentials?,
        caFile: String?, logger: Logger
    ) throws(MarketStreamError) -> Venue {
        guard let dialect = choice.dialect else {
            var configuration = BinanceExchange.Configuration(extraCAFile: caFile)
            if let baseURL { configuration.baseURL = baseURL }
            let binance = try BinanceExchange(configuration: configuration, logger: logger)
            return Venue(manager: binance, endpoint: configuration.baseURL, speaksUpbit: false)
        }
        let upbit = try UpbitExchange(
            exchange: choice == .mock ? "mock" : dialect.exchange, dialect: dialect,
            configuration: .init(
                baseURL: baseURL, restBaseURL: restBaseURL, credentials: credentials, extraCAFile: caFile),
            logger: logger)
        return Venue(manager: upbit, endpoint: upbit.endpoint, speaksUpbit: true)
    }

    /// Loads the `--plugin` libraries and checks that each requested custom kind has a producer.
    private func loadPlugins(for kinds: [DataKind]) throws -> HandlerRegistry {
        do {
            let plugins = try PluginLoader(environment: ProcessInfo.processInfo.environment).load(self.plugins)
            let produced = plugins.map(\.producedKind)
            if let missing = kinds.first(where: { $0.isCustom && !produced.contains($0) }) {
                throw CommandFailure(
                    message:
                        "unknown type '\(missing)': no exchange or plugin provides it (the plugins produce \(produced.map(\.description).joined(separator: ", ")))"
                )
            }
            return try HandlerRegistry(plugins)
        } catch let error as PluginLoadError {
            throw CommandFailure(message: error.description)
        }
    }

    private func stream(
        kinds: [DataKind], markets: [MarketCode], exchanges: [Venue], handlers: HandlerRegistry,
        output: WatchOutput, logger: Logger
    ) async throws {
        let registry = PrometheusCollectorRegistry()
        let router = MarketDataRouter(
            managers: exchanges.map(\.manager), handlers: handlers, logger: logger,
            metricsFactory: metricsPort == nil ? MetricsSystem.factory : MetricsEndpoint.makeFactory(registry: registry)
        )
        // Each kind on each venue.
        let subscriptions = try exchanges.flatMap { exchange in
            try kinds.map { kind in
                try router.subscribe(to: kind, markets: kind.isPrivate ? [] : markets, on: exchange.manager.exchange)
            }
        }
        let endpoints = Dictionary(
            exchanges.map { ($0.manager.exchange, $0.endpoint) }, uniquingKeysWith: { first, _ in first })
        var venueOutput = output
        venueOutput.normalised = Set(exchanges.filter { !$0.speaksUpbit }.map(\.manager.exchange))
        let output = venueOutput
        var services: [any Service] = [router]
        if let metricsPort { services.append(MetricsEndpoint(registry: registry, port: metricsPort, logger: logger)) }
        let limit = count
        let seconds = duration
        let healthInterval = self.healthInterval
        let json = self.json
        try await ProgramRun.run(services: services, logger: logger) {
            try await Self.printEvents(
                subscriptions, router: router, endpoints: endpoints, output: output, json: json, limit: limit,
                seconds: seconds, healthInterval: healthInterval)
        }
    }

    /// Prints events until `limit` or `seconds`, or until the subscriptions end.
    private static func printEvents(
        _ subscriptions: [Subscription], router: MarketDataRouter, endpoints: [ExchangeID: String],
        output: WatchOutput,
        json: Bool, limit: Int?, seconds: Double?, healthInterval: Double?
    ) async throws {
        let (events, sink) = AsyncStream.makeStream(of: WatchItem.self)
        // On a terminal without --json: a live table, redrawn four times a second whether or not
        // events arrive, so an outage shows as it happens.
        var table = !json && isatty(STDOUT_FILENO) == 1 ? WatchTable() : nil
        try await withThrowingTaskGroup(of: Void.self) { group in
            if table != nil {
                group.addTask {
                    while true {
                        try await Task.sleep(for: .milliseconds(250))
                        sink.yield(.redraw)
                    }
                }
            }
            if let healthInterval {
                group.addTask {
                    while true {
                        try await Task.sleep(for: .milliseconds(Int64(healthInterval * 1_000)))
                        let line = HealthLine.json(router.health(), at: MarketDataRouter.systemWallClock()) + "\n"
                        TerminalOutput.standardError(line.utf8)
                    }
                }
            }
            group.addTask {
                await withThrowingTaskGroup(of: Void.self) { readers in
                    for subscription in subscriptions {
                        readers.addTask { for try await event in subscription { sink.yield(.feed(event)) } }
                    }
                }
                sink.finish()
            }
            if let seconds {
                group.addTask {
                    try await Task.sleep(for: .milliseconds(Int64(seconds * 1_000)))
                    sink.finish()
                }
            }
            defer { group.cancelAll() }
            var printed = 0
            var connected = false
            defer { if let table { output.raw(table.render(health: router.health())) } }
            for await item in events {
                let event: FeedEvent
                switch item {
                case .redraw:
                    if let table { output.raw(table.render(health: router.health())) }
                    continue
                case .feed(let feedEvent):
                    event = feedEvent
                }
                switch event {
                case .market(let market):
                    connected = true
                    if table != nil {
                        table?.update(market)
                    } else {
                        output.write(market)
                    }
                    printed += 1
                    if let limit, printed >= limit { return }
                case .connection(let change):
                    if !connected, let reason = change.unreachableReason {
                        let endpoint = endpoints[change.channel.exchange] ?? change.channel.exchange.rawValue
                        throw CommandFailure(message: "cannot stream from \(endpoint): \(reason)")
                    }
                    if !json && table == nil { output.note(change.description) }
                }
            }
        }
    }
}

/// What `watch` prints from: an event, or the live table's redraw tick.
enum WatchItem: Sendable {
    case feed(FeedEvent)
    case redraw
}

/// A bad flag or argument: one line on stderr and a non-zero exit (no usage dump).
struct UsageError: Error, CustomStringConvertible {
    let message: String
    init(_ message: String) { self.message = message }
    var description: String { message }
}

/// A fatal command error, printed as one line.
struct CommandFailure: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}

/// Writes events as JSON lines or readable lines, unbuffered.
struct WatchOutput: Sendable {
    let json: Bool
    /// Venues whose `--json` lines carry the normalised fields rather than Upbit's names.
    var normalised: Set<ExchangeID> = []

    func write(_ event: MarketEvent) {
        var line: [UInt8]
        if json {
            line = WatchLine.json(event, upbitNames: !normalised.contains(event.exchange))
        } else {
            line = Array(
                "\(event.exchange)  \(event.kind)  \(event.market == .account ? "-" : event.market.rawValue)  \(event.stream.rawValue)  \(event.payload)"
                    .utf8)
        }
        line.append(UInt8(ascii: "\n"))
        TerminalOutput.standardOutput(line)
    }

    func raw(_ text: String) {
        TerminalOutput.standardOutput(text.utf8)
    }

    func note(_ text: String) {
        TerminalOutput.standardError("# \(text)\n".utf8)
    }
}
