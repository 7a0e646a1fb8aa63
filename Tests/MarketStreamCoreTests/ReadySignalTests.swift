import MarketStreamCore
import MarketStreamTesting
import Testing

@Suite(.timeLimit(.minutes(1))) struct ReadySignalTests {
    struct Stopped: Error, Equatable {}

    @Test func waitersBeforeAndAfterTheValueGetIt() async throws {
        let signal = ReadySignal<Int>()
        let early = Task { try await signal.wait() }
        signal.resolve(8090)
        signal.resolve(1)
        signal.fail(Stopped())
        #expect(try await early.value == 8090)
        #expect(try await signal.wait() == 8090, "only the first resolution counts")
    }

    @Test func aFailureReachesWaitersBeforeAndAfterIt() async {
        let signal = ReadySignal<Int>()
        let early = Task { try await signal.wait() }
        signal.fail(Stopped())
        signal.resolve(8090)
        await #expect(throws: Stopped()) { try await early.value }
        await #expect(throws: Stopped()) { try await signal.wait() }
    }

    /// A waiter cancelled at any moment of its way into the wait stops waiting (a program's
    /// shutdown waited on a dashboard port that never came, and a test's time limit could not
    /// end it).
    @Test func aWaiterCancelledAtAnyMomentStopsWaiting() async {
        var missed = 0
        for attempt in 0..<20_000 where !Task.isCancelled {
            let signal = ReadySignal<Int>()
            let waiter = Task { try await signal.wait() }
            for _ in 0..<(attempt % 64) { await Task.yield() }
            waiter.cancel()
            // A waiter that missed its cancellation is freed by the value at the deadline.
            let ended = await endsBefore(.seconds(10), release: { signal.resolve(0) }) {
                (try? await waiter.value) == nil
            }
            if ended != true { missed += 1 }
        }
        #expect(missed == 0, "\(missed) cancelled waiters kept waiting")
    }
}
