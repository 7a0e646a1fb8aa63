import ArgumentParser
import Logging
import MarketStreamCore
import MarketStreamRecording

/// Reads recordings: for now, what they hold (`--stats`).
struct ReplayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay", abstract: "Read recordings made by `record` (--stats: what they hold).")

    @Flag(help: "Print events per kind and market, the time span, silences, reconnects and damage.")
    var stats = false

    @Argument(help: "Recording files (.msr.zst, or .partial left by a crash), in time order.")
    var files: [String]

    func validate() throws {
        guard stats else { throw ValidationError("only --stats is supported: replay through a router comes later") }
        guard !files.isEmpty else { throw ValidationError("name at least one recording file") }
    }

    func run() async throws {
        let logger = Logger(label: "marketstream.replay", factory: { _ in SwiftLogNoOpLogHandler() })
        do {
            let header = try RecordingReader(path: files[0]).header
            guard
                let venue = VenueChoice(rawValue: header.venue)
                    ?? VenueChoice.allCases.first(where: {
                        $0.exchangeID.rawValue == header.venue
                    })
            else {
                throw ValidationError("\(files[0]) records '\(header.venue)', whose decoder this program lacks")
            }
            let decoder = try venue.module(baseURL: nil, logger: logger)
            writeLine("\(header.venue) (\(header.dialect)), recorded by \(header.recorder)")
            writeLine(try RecordingStatistics.collect(files, decoder: decoder).description)
        } catch let error as RecordingError {
            throw ValidationError("\(error)")
        }
    }
}
