import ArgumentParser
import Foundation
import Logging
import MarketStreamCore
import MarketStreamNATS
import MarketStreamRouting
import Synchronization

/// A strategy process in miniature: subscribes through a gateway and prints what arrives.
struct RemoteWatchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch", abstract: "Subscribe through a gateway (as a strategy process would) and print events.")

    @Option(help: "The venue the gateway serves: \(VenueChoice.allCases.map(\.rawValue).joined(separator: ", ")).")
    var exchange: VenueChoice = .mock

    @Option(help: "The NATS server.")
    var nats = "nats://127.0.0.1:4222"

    @Option(help: "Comma-separated kinds: ticker, trade, orderbook, orderbook.15, candle.1m, …")
    var types = "ticker"

    @Option(help: "Comma-separated markets, e.g. KRW-BTC,KRW-ETH.")
    var codes = "KRW-BTC"

    @OptionGroup var limit: RunDurationOption

    @Option(help: "Stop after this many market events, with status 0 (default: run until interrupted).")
    var count: Int?

    @Option(help: "Log level.")
    var logLevel: Logger.Level = .warning

    func validate() throws {
        if let count, count < 1 { throw ValidationError("--count must be at least 1") }
        guard nats.hasPrefix("nats://") else { throw ValidationError("--nats '\(nats)' is not a nats:// URL") }
    }

    func run() async throws {
        var logger = Logger(label: "marketstream.remote")
        logger.logLevel = logLevel
        let kinds = try types.split(separator: ",").map { try DataKind(parsing: String($0)) }
        let markets = try MarketCode.parseList(codes)
        let venue = try exchange.module(baseURL: "ws://127.0.0.1:1", logger: logger)
        let remote = try RemoteExchange(venue: venue, configuration: .init(url: nats), logger: logger)
        let router = MarketDataRouter(managers: [remote], logger: logger)
        let duration = limit.duration
        let count = self.count
        let progress = WatchProgress(count ?? .max)
        let nats = self.nats
        let outcome = try await ServiceProgram.run(services: [router], logger: logger) {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for kind in kinds {
                    let subscription = try router.subscribe(to: kind, markets: markets)
                    group.addTask {
                        for try await event in subscription {
                            switch event {
                            case .market(let event):
                                progress.reached()
                                // The last event wanted ends this task, and so the program.
                                let left = progress.takeOne()
                                guard left >= 0 else { return }
                                writeLine(
                                    "\(event.kind) \(event.market) \(event.stream.rawValue) gen=\(event.generation) \(event.payload)"
                                )
                                if left == 0 { return }
                            case .connection(let event):
                                // Nothing through the bus yet, and it failed every try: one line, not
                                // retries for ever.
                                if !progress.hasReached, let reason = event.unreachableReason {
                                    throw GatewayFailure("cannot reach the NATS server at \(nats): \(reason)")
                                }
                                if case .restored = event.kind { progress.reached() }
                                writeLine("connection \(event.kind)")
                            }
                        }
                    }
                }
                if let duration {
                    group.addTask { try await Task.sleep(for: duration) }
                }
                if duration != nil || count != nil {
                    try await group.next()
                    group.cancelAll()
                } else {
                    try await group.waitForAll()
                }
            }
        }
        if outcome != .completed { throw ExitCode(outcome.exitStatus) }
    }
}

/// What a `watch` has seen so far, across every kind's subscription.
private final class WatchProgress: Sendable {
    private let remaining: Atomic<Int>
    private let reachedBus = Atomic(false)

    /// - Parameter count: Market events to print.
    init(_ count: Int) { remaining = Atomic(count) }

    /// Takes one event: how many are left after it (negative once none were).
    func takeOne() -> Int { remaining.subtract(1, ordering: .relaxed).newValue }

    /// Notes that something came through the bus (an event, a restored connection): a store the
    /// first time only, not one per event.
    func reached() { if !hasReached { reachedBus.store(true, ordering: .relaxed) } }

    /// Whether anything came through the bus yet.
    var hasReached: Bool { reachedBus.load(ordering: .relaxed) }
}
