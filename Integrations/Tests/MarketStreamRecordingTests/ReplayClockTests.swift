import MarketStreamRecording
import Synchronization
import Testing

/// The clock a replay moves: sleepers wake when it passes their deadline, in deadline order.
@Suite(.timeLimit(.minutes(1))) struct ReplayClockTests {
    /// Who woke, and the clock's time then.
    final class Woken: Sendable {
        let list = Mutex<[(String, Duration)]>([])
    }

    /// Starts a sleep until `offset` that records `name` and the clock's time when it wakes.
    static func sleeper(
        _ clock: ReplayClock, until offset: Duration, name: String, into woken: Woken
    ) -> Task<Void, any Error> {
        Task {
            try await clock.sleep(until: .init(offset: offset))
            woken.list.withLock { $0.append((name, clock.now.offset)) }
        }
    }

    static func waitForSleepers(_ clock: ReplayClock, count: Int) async {
        while clock.pendingSleepers < count { await Task.yield() }
    }

    @Test func aSleeperWakesOnlyWhenTheClockReachesItsDeadline() async throws {
        let clock = ReplayClock()
        let woken = Woken()
        let late = Self.sleeper(clock, until: Duration.milliseconds(30), name: "late", into: woken)
        let early = Self.sleeper(clock, until: Duration.milliseconds(10), name: "early", into: woken)
        await Self.waitForSleepers(clock, count: 2)

        await clock.advance(by: .milliseconds(5))
        #expect(clock.pendingSleepers == 2, "nothing is due at 5 ms")

        await clock.advance(to: .init(offset: .milliseconds(20)))
        try await early.value
        #expect(clock.pendingSleepers == 1, "only the sleeper due by 20 ms woke")
        #expect(woken.list.withLock { $0.map(\.0) } == ["early"])

        await clock.advance(to: .init(offset: .milliseconds(30)))
        try await late.value
        #expect(clock.pendingSleepers == 0)
        #expect(woken.list.withLock { $0.map(\.0) } == ["early", "late"])
        #expect(woken.list.withLock { $0.last?.1 } == .milliseconds(30), "woken with the clock at its deadline")
    }

    @Test func theClockNeverMovesBackAndAPastDeadlineReturnsAtOnce() async throws {
        let clock = ReplayClock()
        await clock.advance(by: .seconds(2))
        await clock.advance(to: .init(offset: .seconds(1)))
        #expect(clock.now.offset == .seconds(2))
        try await clock.sleep(until: .init(offset: .seconds(1)))
        #expect(clock.pendingSleepers == 0)
    }

    @Test func aCancelledSleepEndsWithCancellationAndLeavesNoSleeper() async throws {
        let clock = ReplayClock()
        let sleeping = Task { try await clock.sleep(until: .init(offset: .seconds(60))) }
        await Self.waitForSleepers(clock, count: 1)
        sleeping.cancel()
        await #expect(throws: CancellationError.self) { try await sleeping.value }
        #expect(clock.pendingSleepers == 0)
        // Cancelled before it began: no sleeper either.
        let cancelledFirst = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            try await clock.sleep(until: .init(offset: .seconds(60)))
        }
        await #expect(throws: CancellationError.self) { try await cancelledFirst.value }
        #expect(clock.pendingSleepers == 0)
    }
}
