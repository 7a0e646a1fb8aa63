import MarketStreamTesting
import Testing

/// The in-memory exchange's waits end when the waiting task is cancelled: a test's time limit
/// then fails a test that waits for what never happens, instead of the run hanging.
@Suite(.timeLimit(.minutes(1))) struct InMemoryExchangeWaitTests {
    @Test func aWaitForWhatNeverHappensEndsWhenItsTaskIsCancelled() async {
        let exchange = InMemoryExchange()
        for attempt in 0..<2_000 {
            let waiting = Task { await exchange.waitForRequests(1) }
            // Cancelled at a different point of its way into the wait each time.
            for _ in 0..<(attempt % 16) { await Task.yield() }
            waiting.cancel()
            // Nothing is ever asked: only the cancellation ends the wait (or the time limit fails the test).
            await waiting.value
        }
    }
}
