import ArgumentParser
import Foundation
import Logging
import MarketStreamCore
import MarketStreamRecording
import MarketStreamRouting

/// Replays recordings through a router and prints the events, or (`--stats`) what they hold.
struct ReplayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Replay recordings made by `record` through a router and print the events (--stats: what they hold).")

    @Flag(help: "Print events per kind and market, the time span, silences, reconnects and damage instead.")
    var stats = false

    @Option(help: "How fast: fast (no waiting), original, or a factor such as 10.")
    var speed = "fast"

    @Option(help: "Comma-separated kinds to subscribe to (default: the recording's subscription set).")
    var types: String?

    @Option(help: "Comma-separated markets to subscribe to (default: the recording's subscription set).")
    var codes: String?

    @Option(help: "Replay from this receive time: \(RecordingTime.forms) (found through the files' block index).")
    var from: String?

    @Option(
        help:
            "Replay up to this receive time, the whole millisecond or second it names included (the same forms as --from)."
    )
    var to: String?

    @Argument(help: "Recording files (.msr.zst, or .partial left by a crash), in time order.")
    var files: [String]

    func validate() throws {
        guard !files.isEmpty else { throw ValidationError("name at least one recording file") }
        _ = try ReplaySpeed(argument: speed)
        _ = try range()
    }

    /// The receive times `--from` and `--to` name.
    private func range() throws(ValidationError) -> (from: UnixTime?, to: UnixTime?) {
        do {
            return try RecordingTime.range(from: from, to: to)
        } catch {
            throw ValidationError(error.description)
        }
    }

    func run() async throws {
        let logger = Logger(label: "marketstream.replay", factory: { _ in SwiftLogNoOpLogHandler() })
        do {
            let header = try RecordingReader(path: files[0]).header
            let venue = try VenueChoice(recordedIn: header, path: files[0])
            let decoder = try venue.module(baseURL: nil, logger: logger)
            if stats {
                writeLine("\(header.venue) (\(header.dialect)), recorded by \(header.recorder)")
                let (from, to) = try range()
                writeLine(try RecordingStatistics.collect(files, decoder: decoder, from: from, to: to).description)
            } else {
                try await replay(header: header, decoder: decoder, logger: logger)
            }
        } catch let error as RecordingError {
            throw GatewayFailure("\(error)")
        }
    }

    /// What to subscribe to: the flags, or the recording's own set.
    private func topics(recorded: [String]) throws -> [(DataKind, [MarketCode])] {
        var byKind: [DataKind: [MarketCode]] = [:]
        if types != nil || codes != nil {
            let kinds = try (types ?? "ticker").split(separator: ",").map { try DataKind(parsing: String($0)) }
            let markets = try MarketCode.parseList(codes ?? "KRW-BTC")
            for kind in kinds { byKind[kind] = markets }
        } else {
            for text in recorded {
                guard let slash = text.lastIndex(of: "/") else { continue }
                let kind = try DataKind(parsing: String(text[..<slash]))
                byKind[kind, default: []].append(try MarketCode(String(text[text.index(after: slash)...])))
            }
        }
        guard !byKind.isEmpty else {
            throw GatewayFailure("the recording names no subscription set: give --types and --codes")
        }
        return byKind.sorted { "\($0.key)" < "\($1.key)" }.map { ($0.key, $0.value) }
    }

    private func replay(
        header: RecordingHeader, decoder: any AbstractWebSocketManager, logger: Logger
    ) async throws {
        let (from, to) = try range()
        let replay = try ReplayExchange(
            venue: decoder, files: files, from: from, to: to, speed: try ReplaySpeed(argument: speed), logger: logger)
        let router = MarketDataRouter(
            managers: [replay],
            configuration: RouterConfiguration(
                bufferCapacity: 1 << 20, reconnect: ReconnectPolicy(jitter: 0)),
            clock: replay.routerClock, wallClock: replay.wallClock, logger: logger)
        let topics = try topics(recorded: header.subscriptions)
        // Subscribed before the replay starts, so the router plans and asks for them together, as
        // the recording's router did, whatever holds this thread up.
        let subscriptions = try topics.map { kind, markets in try router.subscribe(to: kind, markets: markets) }
        let outcome = try await ServiceProgram.run(services: [replay, router], logger: logger) {
            let printed = try await withThrowingTaskGroup(of: Int.self) { group in
                for subscription in subscriptions {
                    group.addTask {
                        var count = 0
                        for try await event in subscription {
                            // The recording's end arrives in band, after its last event.
                            if ReplayExchange.isEnd(event) { break }
                            guard case .market(let event) = event else { continue }
                            count += 1
                            writeLine(
                                "\(event.kind) \(event.market) \(event.stream.rawValue) gen=\(event.generation) "
                                    + "received=\(event.receivedAt)")
                        }
                        return count
                    }
                }
                let total = try await group.reduce(0, +)
                for subscription in subscriptions { subscription.cancel() }
                return total
            }
            writeLine("replayed \(printed) events; subscription mismatches: \(replay.subscriptionMismatches)")
        }
        if outcome != .completed { throw ExitCode(outcome.exitStatus) }
    }
}
