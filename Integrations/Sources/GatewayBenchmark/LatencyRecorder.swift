import Histogram
import Synchronization

/// Delays from a wall-clock stamp to now, recorded once the parent says `measure`.
final class LatencyRecorder: Sendable {
    private let histogram = Mutex(
        Histogram<UInt64>(highestTrackableValue: 60_000_000_000, numberOfSignificantValueDigits: .three))
    private let measuring = Atomic<Bool>(false)

    /// Starts recording (the warm-up before it is not counted).
    func start() { measuring.store(true, ordering: .relaxed) }

    /// Records the delay since `stamp` (wall-clock nanoseconds), if measuring.
    func record(since stamp: Int64) {
        guard measuring.load(ordering: .relaxed) else { return }
        let delay = max(0, wallNanoseconds() - stamp)
        histogram.withLock { _ = $0.record(UInt64(delay)) }
    }

    /// `p50 p99 p99.9 max count`, in nanoseconds, for the report line.
    var reportFields: [String] {
        let histogram = histogram.withLock { $0 }
        return [
            "\(histogram.valueAtPercentile(50))", "\(histogram.valueAtPercentile(99))",
            "\(histogram.valueAtPercentile(99.9))", "\(histogram.max)", "\(histogram.totalCount)",
        ]
    }

    /// `p50 p99`, for the report line's read-path fields.
    var medianAndP99Fields: [String] { Array(reportFields.prefix(2)) }
}
