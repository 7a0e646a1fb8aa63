import Foundation
import Logging
import MarketStreamCore
import MarketStreamRecording
import MarketStreamRouting
import Testing
import UpbitExchange

/// Replaying a recording through the router: the same events, every time.
@Suite(.timeLimit(.minutes(1))) struct ReplayTests {
    /// What identifies an event in a replay.
    struct Seen: Hashable {
        var kind: DataKind
        var market: MarketCode
        var timestamp: UnixTime
        var receivedAt: UnixTime
        var generation: ConnectionGeneration
    }

    /// Replays `file` as fast as possible and returns every ticker event, in order.
    static func replay(
        _ file: String, venue: UpbitExchange, from: UnixTime? = nil
    ) async throws -> (events: [Seen], mismatches: Int) {
        let replay = try ReplayExchange(
            venue: venue, files: [file], from: from, speed: .asFastAsPossible, logger: quietLogger)
        let router = MarketDataRouter(
            managers: [replay], configuration: replayConfiguration, clock: replay.routerClock,
            wallClock: replay.wallClock, logger: quietLogger)
        let driving = Task { try await replay.run() }
        let routing = Task { try await router.run() }
        let subscription = try router.subscribe(to: .ticker, markets: [MarketCode(validated: "KRW-BTC")])
        let consuming = Task { () -> [Seen] in
            var seen: [Seen] = []
            for try await event in subscription {
                // The recording's end arrives in band, after its last event.
                if ReplayExchange.isEnd(event) { break }
                guard case .market(let market) = event else { continue }
                seen.append(
                    Seen(
                        kind: market.kind, market: market.market, timestamp: market.timestamp,
                        receivedAt: market.receivedAt, generation: market.generation))
            }
            return seen
        }
        let events = try await consuming.value
        subscription.cancel()
        routing.cancel()
        driving.cancel()
        _ = await routing.result
        _ = await driving.result
        return (events, replay.subscriptionMismatches)
    }

    @Test func aRecordedSessionReplaysToTheSameEventsEveryTime() async throws {
        try await withTemporaryDirectory { directory in
            let (upbit, file) = try await RecordedSessionTests.recordMockSession(into: directory)
            var frames: [Int64] = []
            try RecordingReader(path: file).read { record in
                if record.kind == .frame { frames.append(record.receivedAt.nanoseconds) }
            }

            let first = try await Self.replay(file, venue: upbit)
            let second = try await Self.replay(file, venue: upbit)
            #expect(first.events == second.events, "deterministic")
            #expect(first.events.count == frames.count, "every recorded frame, once")
            #expect(first.events.map(\.receivedAt.nanoseconds) == frames, "stamped with the recorded receive times")
            #expect(Set(first.events.map(\.generation)).count == 2, "the recorded drop is a reconnect")
            #expect(first.mismatches == 0, "the router subscribed as recorded")
        }
    }

    @Test func aStrategyThatSubscribesDifferentlyIsWarned() async throws {
        try await withTemporaryDirectory { directory in
            let (upbit, file) = try await RecordedSessionTests.recordMockSession(into: directory)
            let replay = try ReplayExchange(venue: upbit, files: [file], logger: quietLogger)
            let router = MarketDataRouter(
                managers: [replay], configuration: replayConfiguration, clock: replay.routerClock,
                wallClock: replay.wallClock, logger: quietLogger)
            let driving = Task { try await replay.run() }
            let routing = Task { try await router.run() }
            let other = try router.subscribe(to: .ticker, markets: [MarketCode(validated: "KRW-ETH")])
            // Any number of callers may wait for the end.
            async let first: Void = replay.waitUntilFinished()
            async let second: Void = replay.waitUntilFinished()
            _ = await (first, second)
            #expect(replay.subscriptionMismatches > 0)
            other.cancel()
            routing.cancel()
            driving.cancel()
            _ = await routing.result
        }
    }

    @Test(arguments: [0, -2, Double.nan, .infinity])
    func aSpeedThatIsNotAPositiveFactorIsATypedError(factor: Double) async throws {
        try await withTemporaryDirectory { directory in
            _ = try await record(into: directory) { recorder in
                recorder.frameReceived(.text(tickerJSON(0)), events: [], context: context(at: nearTheHour))
            }
            let file = try #require(recordings(under: directory).first)
            #expect(throws: RecordingError.self) {
                try ReplayExchange(
                    venue: UpbitExchange(logger: quietLogger), files: [file], speed: .scaled(factor),
                    logger: quietLogger)
            }
        }
    }

    @Test func aTimeRangeReplaysOnlyTheFramesInIt() async throws {
        try await withTemporaryDirectory { directory in
            let (upbit, file) = try await RecordedSessionTests.recordMockSession(into: directory)
            var frames: [Int64] = []
            try RecordingReader(path: file).read { record in
                if record.kind == .frame { frames.append(record.receivedAt.nanoseconds) }
            }
            // From the middle of the second connection: no subscription record precedes the frames.
            let cut = frames[frames.count - 3]
            let replayed = try await Self.replay(file, venue: upbit, from: UnixTime(nanoseconds: cut))
            #expect(replayed.events.map(\.receivedAt.nanoseconds) == Array(frames.suffix(3)))
        }
    }
}
