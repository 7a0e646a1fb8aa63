import MarketStreamCore
import MarketStreamRecording
import MarketStreamRouting
import MarketStreamTesting
import MockExchange
import Testing

/// A replay that waits for its strategy to say it has subscribed (``ReplayStart/whenStarted``).
@Suite(.timeLimit(.minutes(1))) struct ReplayStartTests {
    @Test func aStrategyThatSubscribesInItsOwnTimeReplaysAsRecordedEveryTime() async throws {
        try await withTemporaryDirectory { directory in
            let btc = MarketCode(validated: "KRW-BTC")
            // Recorded live: tickers and trades asked for together, in one message.
            let (upbit, file) = try await recordMockSession(
                into: directory, mock: MockExchangeConfiguration(updatesPerSecond: 50)
            ) { _, router in
                let both = try [DataKind.ticker, .trade].map { try router.subscribe(to: $0, markets: [btc]) }
                for subscription in both { try await awaitMarketEvents(3, on: subscription) }
            }
            let (sent, frames) = try sentAndFrames(in: file)
            try #require(sent == 1, "the recording asked for both in one message")

            func replay() async throws -> (events: [ReplayTests.Seen], mismatches: Int) {
                let replay = try ReplayExchange(venue: upbit, files: [file], starts: .whenStarted, logger: quietLogger)
                let events = try await withReplayRouter(replay) { router in
                    let tickers = try router.subscribe(to: .ticker, markets: [btc])
                    // A strategy that takes its time between two subscriptions: a replay that
                    // starts by itself would have begun 50 ms after the router connected, and
                    // asked for the tickers alone once the router's 100 ms debounce ran out on
                    // its clock.
                    try await Task.sleep(for: .seconds(1))
                    let trades = try router.subscribe(to: .trade, markets: [btc])
                    replay.start()
                    defer {
                        tickers.cancel()
                        trades.cancel()
                    }
                    async let tickerEvents = eventsUntilTheEnd(of: tickers)
                    async let tradeEvents = eventsUntilTheEnd(of: trades)
                    return try await tickerEvents + tradeEvents
                }
                return (events, replay.subscriptionMismatches)
            }
            let first = try await replay()
            let second = try await replay()
            #expect(first.events.count == frames, "every recorded frame, once")
            #expect(first.mismatches == 0, "both asked for together, as recorded")
            #expect(first.events == second.events, "deterministic")
        }
    }

    @Test func aSubscriptionMadeAfterTheEndIsRefused() async throws {
        try await withTemporaryDirectory { directory in
            let (upbit, file) = try await RecordedSessionTests.recordMockSession(into: directory)
            let replay = try ReplayExchange(venue: upbit, files: [file], logger: quietLogger)
            let refusal = try await withReplayRouter(replay) { router -> MarketStreamError? in
                let subscription = try router.subscribe(to: .ticker, markets: [MarketCode(validated: "KRW-BTC")])
                defer { subscription.cancel() }
                _ = try await eventsUntilTheEnd(of: subscription)
                await replay.waitUntilFinished()
                let late = Result { () throws(MarketStreamError) in
                    try router.subscribe(to: .ticker, markets: [MarketCode(validated: "KRW-ETH")])
                }
                if case .success(let subscription) = late { subscription.cancel() }
                guard case .failure(let error) = late else { return nil }
                return error
            }
            #expect(refusal?.code == .connectionClosed, "\(String(describing: refusal))")
            #expect(refusal?.message.contains("the recording is over") == true)
        }
    }

    /// A replay stopped before its end lets whoever waits for the end go (a program interrupted
    /// while it waited would never have exited), and so does a waiter that gives up.
    @Test func waitingForTheEndEndsWhenTheReplayStopsFirstOrTheWaiterGivesUp() async throws {
        try await withTemporaryDirectory { directory in
            let (upbit, file) = try await RecordedSessionTests.recordMockSession(into: directory)
            // Never started: it would wait for `start()` for ever.
            let replay = try ReplayExchange(venue: upbit, files: [file], starts: .whenStarted, logger: quietLogger)
            let impatient = Task { await replay.waitUntilFinished() }
            impatient.cancel()
            #expect(await impatient.value == false)
            let waiting = Task { await replay.waitUntilFinished() }
            let running = Task { try await replay.run() }
            running.cancel()
            try await running.value
            let finished = await endsBefore(.seconds(10), release: { waiting.cancel() }) { await waiting.value }
            #expect(finished == false, "the wait ended with the replay, which replayed nothing")
        }
    }
}
