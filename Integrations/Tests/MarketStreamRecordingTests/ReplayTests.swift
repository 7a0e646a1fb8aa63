import Foundation
import Logging
import MarketStreamCore
import MarketStreamRecording
import MarketStreamRouting
import MockExchange
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
        _ file: String, venue: any AbstractWebSocketManager, from: UnixTime? = nil
    ) async throws -> (events: [Seen], mismatches: Int, decodedAhead: Int) {
        let replay = try ReplayExchange(
            venue: venue, files: [file], from: from, speed: .asFastAsPossible, logger: quietLogger)
        let events = try await withReplayRouter(replay) { router in
            let subscription = try router.subscribe(to: .ticker, markets: [MarketCode(validated: "KRW-BTC")])
            defer { subscription.cancel() }
            return try await eventsUntilTheEnd(of: subscription)
        }
        return (events, replay.subscriptionMismatches, replay.framesDecodedAhead)
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

    @Test func framesDecodedAheadOnTheSecondCoreGiveWhatTheRouterWouldDecode() async throws {
        try await withTemporaryDirectory { directory in
            // Two connections of 6 000 frames each: more than the read-ahead holds, so most frames
            // of each connection are decoded ahead once the router's first decode shows its context.
            // A minute before the hour: one file.
            var time = nearTheHour - 60_000_000_000
            func next() -> Int64 {
                time += 1_000_000
                return time
            }
            _ = try await record(into: directory) { recorder in
                for generation in [UInt64(1), 2] {
                    recorder.connectionOpened(context: context(at: next(), generation: generation))
                    for index in 0..<6_000 {
                        let at = next()
                        recorder.frameReceived(
                            .text(upbitTickerJSON(index)), events: [], context: context(at: at, generation: generation))
                    }
                    recorder.connectionClosed(reason: "dropped", context: context(at: next(), generation: generation))
                }
            }
            let files = recordings(under: directory)
            try #require(files.count == 1)
            let upbit = try UpbitExchange(logger: quietLogger)

            let ahead = try await Self.replay(files[0], venue: upbit)
            let inline = try await Self.replay(files[0], venue: FrameByFrameVenue(upbit))
            #expect(ahead.events.count == 12_000)
            #expect(ahead.events == inline.events, "the same events, stamps and generations either way")
            #expect(Set(ahead.events.map(\.generation)).count == 2)
            #expect(ahead.decodedAhead > 6_000, "most frames were decoded ahead")
            #expect(inline.decodedAhead == 0, "a venue that keeps state between frames is never decoded ahead")
        }
    }

    @Test func aStrategyThatSubscribesDifferentlyIsWarned() async throws {
        try await withTemporaryDirectory { directory in
            let (upbit, file) = try await RecordedSessionTests.recordMockSession(into: directory)
            let replay = try ReplayExchange(venue: upbit, files: [file], logger: quietLogger)
            try await withReplayRouter(replay) { router in
                let other = try router.subscribe(to: .ticker, markets: [MarketCode(validated: "KRW-ETH")])
                defer { other.cancel() }
                // Any number of callers may wait for the end.
                async let first = replay.waitUntilFinished()
                async let second = replay.waitUntilFinished()
                let (firstFinished, secondFinished) = await (first, second)
                #expect(firstFinished && secondFinished, "every record was replayed")
            }
            #expect(replay.subscriptionMismatches > 0)
        }
    }

    /// The recording's router asked for its set in two messages (a second kind subscribed once the
    /// first streamed); a strategy that subscribes to both at once asks for the same set in one.
    @Test func aSetReachedInFewerMessagesIsNoDifference() async throws {
        try await withTemporaryDirectory { directory in
            let btc = MarketCode(validated: "KRW-BTC")
            let (upbit, file) = try await recordMockSession(
                into: directory, mock: MockExchangeConfiguration(updatesPerSecond: 50)
            ) { _, router in
                let tickers = try router.subscribe(to: .ticker, markets: [btc])
                try await awaitMarketEvents(3, on: tickers)
                let trades = try router.subscribe(to: .trade, markets: [btc])
                try await awaitMarketEvents(3, on: trades)
                _ = (tickers, trades)
            }
            let (sent, frames) = try sentAndFrames(in: file)
            try #require(sent == 2, "the recording asked in two messages")

            let replay = try ReplayExchange(venue: upbit, files: [file], logger: quietLogger)
            let events = try await withReplayRouter(
                replay,
                subscribing: { router in
                    try [DataKind.ticker, .trade].map { try router.subscribe(to: $0, markets: [btc]) }
                }
            ) { _, both in
                defer { for subscription in both { subscription.cancel() } }
                async let tickers = eventsUntilTheEnd(of: both[0])
                async let trades = eventsUntilTheEnd(of: both[1])
                return try await tickers + trades
            }
            #expect(events.count == frames, "every recorded frame, once")
            #expect(replay.subscriptionMismatches == 0, "the same set, in fewer messages")
        }
    }

    @Test(arguments: [0, -2, Double.nan, .infinity, 1e-300, 0.0009, 1e300])
    func aSpeedThatIsNotAFactorFromAThousandthToAMillionIsATypedError(factor: Double) async throws {
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

/// Upbit's decoder, declared as keeping state from frame to frame: a replay must decode each frame
/// on the router's read path.
struct FrameByFrameVenue: AbstractWebSocketManager {
    let venue: UpbitExchange

    init(_ venue: UpbitExchange) { self.venue = venue }

    var exchange: ExchangeID { venue.exchange }
    var channels: [ExchangeChannel] { venue.channels }
    var connectLimit: RateLimit { venue.connectLimit }

    func connect(to channel: ChannelID, handler: any ConnectionHandler) async throws {
        try await venue.connect(to: channel, handler: handler)
    }

    func decode(_ frame: WebSocketMessage, context: DecodeContext, into output: inout DecodedFrame)
        throws(MarketStreamError)
    {
        try venue.decode(frame, context: context, into: &output)
    }

    func messages(for request: SubscriptionRequest) throws(MarketStreamError) -> [OutboundMessage] {
        try venue.messages(for: request)
    }

    func validate(_ topic: SubscriptionTopic, on channel: ExchangeChannel) -> MarketStreamError? {
        venue.validate(topic, on: channel)
    }
}

/// Upbit's DEFAULT ticker frame for KRW-BTC, its price and times moving with `index`.
func upbitTickerJSON(_ index: Int) -> String {
    #"{"type":"ticker","code":"KRW-BTC","opening_price":116012000.0,"high_price":116890000.0,"low_price":115720000.0,"trade_price":\#(116_000_000 + index * 1_000).0,"prev_closing_price":116012000.0,"change":"RISE","change_price":527000.0,"signed_change_price":527000.0,"change_rate":0.0045426335,"signed_change_rate":0.0045426335,"trade_volume":0.00214535,"acc_trade_volume":812.43190275,"acc_trade_volume_24h":2291.60215533,"acc_trade_price":94512348712.18833,"acc_trade_price_24h":266503719023.55716,"trade_date":"20261203","trade_time":"135858","trade_timestamp":\#(1_796_306_338_000 + index),"ask_bid":"BID","acc_ask_volume":401.10324871,"acc_bid_volume":411.32865404,"highest_52_week_price":179750000.0,"highest_52_week_date":"2025-10-06","lowest_52_week_price":104200000.0,"lowest_52_week_date":"2026-06-02","market_state":"ACTIVE","is_trading_suspended":false,"delisting_date":null,"market_warning":"NONE","timestamp":\#(1_796_306_338_000 + index),"stream_type":"REALTIME"}"#
}
