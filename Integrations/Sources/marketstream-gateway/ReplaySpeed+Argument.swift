import ArgumentParser
import MarketStreamRecording

extension ReplaySpeed {
    /// `--speed`: `fast`, `original`, or a positive factor such as `10`.
    init(argument: String) throws(ValidationError) {
        switch argument {
        case "fast": self = .asFastAsPossible
        case "original": self = .original
        default:
            guard let factor = Double(argument), ReplaySpeed.factors.contains(factor) else {
                throw ValidationError("--speed '\(argument)' is not fast, original or a factor from 0.001 to 1000000")
            }
            self = .scaled(factor)
        }
    }
}
