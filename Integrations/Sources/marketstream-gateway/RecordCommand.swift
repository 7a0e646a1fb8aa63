import ArgumentParser
import Foundation
import Logging
import MarketStreamCore
import MarketStreamRecording
import MarketStreamRouting
import MockExchange
import ServiceLifecycle

/// Records a venue's frames, exactly as received, to hourly files.
struct RecordCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "record",
        abstract: "Record a venue's frames to hourly MSR1 files (<dir>/<venue>/<date>/<hour>.msr.zst).")

    @Option(
        help:
            "The venue: \(VenueChoice.allCases.map(\.rawValue).joined(separator: ", ")) (mock: an embedded mock exchange)."
    )
    var exchange: VenueChoice = .mock

    @Option(help: "Comma-separated kinds: ticker, trade, orderbook, orderbook.15, candle.1m, …")
    var types = "ticker,trade"

    @Option(help: "Comma-separated markets, e.g. KRW-BTC,KRW-ETH.")
    var codes = "KRW-BTC,KRW-ETH"

    @Option(help: "The directory that holds the recordings.")
    var dir = "recordings"

    @Option(help: "Reach the venue at this WebSocket base URL instead (for --exchange mock: a mock already running).")
    var upstream: String?

    @OptionGroup var limit: RunDurationOption

    @Option(help: "Log level.")
    var logLevel: Logger.Level = .info

    func validate() throws {
        _ = try kinds()
        do {
            _ = try MarketCode.parseList(codes)
        } catch {
            throw ValidationError(error.message)
        }
        if let upstream, !(upstream.hasPrefix("ws://") || upstream.hasPrefix("wss://")) {
            throw ValidationError("--upstream '\(upstream)' is not a ws:// or wss:// URL")
        }
    }

    /// The kinds `--types` names.
    private func kinds() throws(ValidationError) -> [DataKind] {
        var kinds: [DataKind] = []
        for part in types.split(separator: ",") {
            do {
                kinds.append(try DataKind(parsing: String(part)))
            } catch {
                throw ValidationError("--types: \(error.message)")
            }
        }
        guard !kinds.isEmpty else { throw ValidationError("--types names no kind") }
        return kinds
    }

    func run() async throws {
        var logger = Logger(label: "marketstream.record")
        logger.logLevel = logLevel
        var quiet = logger
        quiet.logLevel = logger.logLevel <= .debug ? logger.logLevel : .critical
        let kinds = try kinds()
        let markets = try MarketCode.parseList(codes)
        let mock =
            exchange == .mock && upstream == nil
            ? MockExchangeServer(configuration: MockExchangeConfiguration(), logger: quiet) : nil
        // The embedded mock runs beside everything else; its address is known once it listens.
        let mockTask = mock.map { mock in Task { try await mock.run() } }
        defer { mockTask?.cancel() }
        var base = upstream
        if base == nil, let mock { base = try await mock.endpoint().webSocketBase }
        let manager = try exchange.module(baseURL: base, logger: logger)
        let recorder = FrameRecorder(
            configuration: .init(
                directory: dir, recording: manager,
                recorder: "marketstream-gateway record"),
            logger: logger)
        // The recorder keeps frames, not events: tickers and trades are recorded undecoded.
        let router = MarketDataRouter(
            managers: [manager], configuration: RouterConfiguration(forwardsFramesOnly: true), frameTap: recorder,
            logger: logger)
        let topics = kinds.flatMap { kind in
            markets.map { SubscriptionTopic(exchange: manager.exchange, kind: kind, market: $0) }
        }
        recorder.noteSubscriptions(topics)
        let duration = limit.duration
        // Stopped in reverse: the router first, so the recorder writes its last frames.
        let outcome = try await ServiceProgram.run(services: [recorder, router], logger: logger) {
            let held = try kinds.map { kind in
                try router.subscribe(to: kind, markets: markets, policy: .connectionEventsOnly)
            }
            defer { for subscription in held { subscription.cancel() } }
            if let duration {
                try await Task.sleep(for: duration)
            } else {
                while true { try await Task.sleep(for: .seconds(3_600)) }
            }
        }
        writeLine("recorder: \(recorder.health)")
        if case .failing = recorder.health.state { throw ExitCode(1) }
        if outcome != .completed { throw ExitCode(outcome.exitStatus) }
    }
}
