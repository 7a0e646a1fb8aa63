import MarketStreamTesting
import Testing

@testable import MockExchange

@Suite(.timeLimit(.minutes(1))) struct OutboundQueueTests {
    @Test func aWaitingWriterTakesWhatIsQueuedInOrderThenTheEnd() async {
        let queue = OutboundQueue()
        let writer = Task {
            var texts: [String] = []
            while let batch = await queue.nextBatch() {
                for case .text(let text) in batch { texts.append(text) }
            }
            return texts
        }
        for index in 0..<100 { queue.yield(.text("\(index)")) }
        queue.finish()
        queue.yield(.text("after the end"))
        #expect(await writer.value == (0..<100).map { "\($0)" })
    }

    @Test func aFullQueueDropsItsOldestFrames() async {
        let queue = OutboundQueue(capacity: 3)
        for index in 0..<5 { queue.yield(.text("\(index)")) }
        let batch = await queue.nextBatch()
        #expect(batch?.compactMap { if case .text(let text) = $0 { text } else { nil } } == ["2", "3", "4"])
    }

    /// A writer cancelled at any moment of its wait ends: the mock's shutdown waits for every
    /// connection's writer, so one that missed its cancellation held the shutdown until the
    /// connection's next frame (a test's teardown in CI hung for nine minutes).
    @Test func aWriterCancelledAtAnyMomentOfItsWaitEnds() async {
        var missed = 0
        for attempt in 0..<20_000 where !Task.isCancelled {
            let queue = OutboundQueue()
            let writer = Task { await queue.nextBatch() }
            // Cancel at a different point of the writer's way into its wait each time.
            for _ in 0..<(attempt % 64) { await Task.yield() }
            writer.cancel()
            // A writer that missed its cancellation is freed by the queue's end at the deadline.
            let ended = await endsBefore(.seconds(10), release: { queue.finish() }) { await writer.value == nil }
            if ended != true { missed += 1 }
        }
        #expect(missed == 0, "\(missed) cancelled writers kept waiting")
    }
}
