import ArgumentParser
import Foundation
import Logging
import MarketStreamCore
import MarketStreamRecording
import MarketStreamRouting
import MockExchange

/// Serves recordings through the mock exchange: any client subscribes to them as to a live venue.
struct ServeRecordingCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve-recording",
        abstract: "Serve recordings through the mock exchange, in Upbit's, Bithumb's and Binance's dialects.",
        discussion: """
            The mock exchange lists the recordings' markets and publishes their events at the \
            recorded pace: a subscription gets the latest event of its kind as its snapshot, then \
            the recorded events of the markets it names; REST quotations and paper orders follow \
            the recorded prices. A recorded disconnect drops the client connections that carry \
            the markets the recorded connection carried.
            """
    )

    @Argument(help: "Recording files (.msr.zst, or .partial left by a crash), in time order.")
    var files: [String]

    @Option(help: "The address to listen on.") var host = "127.0.0.1"
    @Option(help: "The port to listen on (0: any free port, printed).") var port = 0
    @Option(help: "How fast: original, a factor such as 10, or fast (no waiting).") var speed = "original"
    @Option(help: "Play from this receive time: \(RecordingTime.forms).") var from: String?
    @Option(help: "Play up to this receive time, the whole millisecond or second it names included.") var to: String?
    @Flag(help: "Start playing once a client has subscribed to something (not at once).")
    var waitForSubscriber = false
    @Flag(help: "Keep serving the last state after the recording ends, until interrupted.")
    var hold = false
    @Option(help: "Log level.") var logLevel: Logger.Level = .error

    func validate() throws {
        guard !files.isEmpty else { throw ValidationError("name at least one recording file") }
        guard (0...65_535).contains(port) else { throw ValidationError("--port must be 0 to 65535") }
        _ = try ReplaySpeed(argument: speed)
        do {
            _ = try RecordingTime.range(from: from, to: to)
        } catch {
            throw ValidationError(error.description)
        }
    }

    func run() async throws {
        var logger = Logger(label: "marketstream.serve-recording")
        logger.logLevel = logLevel
        let feed: RecordedMarketFeed
        let markets: [MarketCode]
        let header: RecordingHeader
        do {
            header = try RecordingReader(path: files[0]).header
            let venue = try VenueChoice(recordedIn: header, path: files[0])
            let (start, end) = try RecordingTime.range(from: from, to: to)
            feed = try RecordedMarketFeed(
                venue: try venue.module(baseURL: nil, logger: logger), files: files, from: start, to: end,
                speed: try ReplaySpeed(argument: speed))
            markets = try feed.markets()
        } catch let error as RecordingError {
            throw GatewayFailure("\(error)")
        }
        guard !markets.isEmpty else {
            let window = from != nil || to != nil ? " between --from and --to" : ""
            throw GatewayFailure("the recordings hold no market events to serve\(window)")
        }
        var configuration = MockExchangeConfiguration(host: host, port: port)
        configuration.publishedMarkets = markets
        let server = MockExchangeServer(configuration: configuration, logger: logger)
        let (waitForSubscriber, hold) = (self.waitForSubscriber, self.hold)
        let outcome = try await ServiceProgram.run(services: [server], logger: logger) {
            let endpoint = try await server.endpoint()
            writeLine(
                "serving \(header.venue) recording of \(markets.count) markets at \(endpoint.webSocketBase) "
                    + "(Upbit /websocket/v1, Bithumb /bithumb/websocket/v1, Binance /binance/stream; REST \(endpoint.restBase))"
            )
            if waitForSubscriber {
                await server.waitForSubscriber()
                try Task.checkCancellation()
            }
            let summary = try await feed.play(
                into: { events in server.publish(events) },
                dropped: { drop in server.dropConnections(carrying: drop.markets) })
            writeLine(
                "played \(summary.frames) frames, \(summary.events) events, \(summary.drops) recorded disconnects"
                    + (summary.undecodableFrames > 0 ? ", \(summary.undecodableFrames) undecodable" : "")
                    + (summary.issues.isEmpty
                        ? "" : "; damage: " + summary.issues.map(\.description).joined(separator: "; ")))
            if hold { try await Task.sleep(for: .seconds(1_000_000_000)) }
        }
        if outcome != .completed { throw ExitCode(outcome.exitStatus) }
    }
}
