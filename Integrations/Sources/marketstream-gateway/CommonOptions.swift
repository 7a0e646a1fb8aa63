import ArgumentParser
import Logging

/// `--log-level trace|debug|info|notice|warning|error|critical`: the parser checks the name and
/// lists the levels in the help and in its error.
extension Logger.Level: @retroactive ExpressibleByArgument {}

/// `--seconds`: how long a command runs before it stops by itself.
struct RunDurationOption: ParsableArguments {
    @Option(help: "Stop after this many seconds (default: run until interrupted).")
    var seconds: Double?

    func validate() throws {
        // At most a year: a larger number (1e300) would not fit the duration it becomes.
        if let seconds, !(seconds.isFinite && seconds > 0 && seconds <= 31_536_000) {
            throw ValidationError("--seconds must be a number of seconds above 0 and at most 31536000 (a year)")
        }
    }

    /// How long to run; `nil`: until interrupted.
    var duration: Duration? { seconds.map { .seconds($0) } }
}
