import CoreMetrics
import Synchronization

/// One subscriber's count of events its delivery policy discarded: read by health without a
/// lock, and mirrored to the `marketstream.subscriber.dropped` counter.
final class DropTally: Sendable {
    private let count = Atomic<Int>(0)
    private let counter: Counter?

    init(counter: Counter?) {
        self.counter = counter
    }

    /// Events discarded so far.
    var total: Int { count.load(ordering: .relaxed) }

    /// Counts `dropped` more discarded events.
    func add(_ dropped: Int) {
        guard dropped > 0 else { return }
        count.add(dropped, ordering: .relaxed)
        counter?.increment(by: dropped)
    }
}
