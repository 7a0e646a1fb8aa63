import ArgumentParser
import MarketStreamRecording

extension ReplaySpeed {
    /// `--speed`: `fast`, `original`, or a positive factor such as `10`.
    init(argument: String) throws(ValidationError) {
        switch argument {
        case "fast": self = .asFastAsPossible
        case "original": self = .original
        default:
            guard let factor = Double(argument), factor.isFinite, factor > 0 else {
                throw ValidationError("--speed '\(argument)' is not fast, original or a positive factor")
            }
            self = .scaled(factor)
        }
    }
}
