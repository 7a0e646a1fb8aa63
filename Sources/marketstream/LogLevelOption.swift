import ArgumentParser
import Foundation
import Logging

/// `--log-level`, defaulting to `MARKETSTREAM_LOG_LEVEL`, then `warning`. Logs go to stderr.
struct LogLevelOption: ParsableArguments {
    static let environmentKey = "MARKETSTREAM_LOG_LEVEL"

    @Option(
        name: .customLong("log-level"),
        help: "trace, debug, info, notice, warning, error or critical (default: $MARKETSTREAM_LOG_LEVEL, else warning)."
    )
    var logLevel: String?

    func validate() throws {
        _ = try level(environment: ProcessInfo.processInfo.environment)
    }

    /// The level to log at.
    /// - Throws: ``UsageError`` for a name that is not a level.
    func level(environment: [String: String]) throws -> Logger.Level {
        if let logLevel { return try Self.parse(logLevel, source: "--log-level") }
        if let name = environment[Self.environmentKey], !name.isEmpty {
            return try Self.parse(name, source: Self.environmentKey)
        }
        return .warning
    }

    private static func parse(_ name: String, source: String) throws -> Logger.Level {
        guard let level = Logger.Level(rawValue: name.lowercased()) else {
            let names = Logger.Level.allCases.map(\.rawValue).joined(separator: ", ")
            throw UsageError("\(source) must be one of \(names), not '\(name)'")
        }
        return level
    }
}
