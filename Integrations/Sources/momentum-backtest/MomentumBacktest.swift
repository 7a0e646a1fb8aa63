import ArgumentParser
import Foundation
import Logging
import MarketStreamCore
import MarketStreamRecording
import MarketStreamRouting
import MomentumStrategy
import Synchronization
import UpbitExchange

#if canImport(Glibc)
    import Glibc
#endif

/// `momentum-backtest`: `momentum-trader`'s strategy over recordings instead of a live feed.
///
/// The recording replays through a router as fast as possible (``ReplayExchange``: the unchanged
/// Upbit decoder, the recorded reconnects, the router's clocks driven by the recording); orders
/// fill at once in an in-process paper account (``PaperOrderDesk``) at the latest replayed price.
/// Everything happens in the recording's order, so the same files give the same orders and PnL
/// on every run.
@main
struct MomentumBacktest: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "momentum-backtest",
        abstract: "momentum-trader's strategy over recordings made by `marketstream-gateway record`.",
        discussion: """
            Replays the recordings' tickers through a router as fast as possible and trades them \
            with the same strategy code as momentum-trader: buys a market with --budget KRW when \
            its price rose more than --threshold basis points over the last --lookback ticks, \
            sells the holding when it fell as much. Orders fill at once at the latest replayed \
            price in a paper account holding --cash KRW, paying --fee of their funds. Prints the \
            orders and fills at the recording's times (UTC) and the same summary as momentum-trader.
            """
    )

    @Argument(help: "Recording files of an Upbit-dialect venue (upbit, mock), in time order.")
    var files: [String]

    @Option(help: "Comma-separated KRW markets to trade (default: the recording's ticker markets).")
    var codes: String?
    @Option(help: "Ticks the momentum is measured over.") var lookback = 10
    @Option(help: "Momentum in basis points that triggers a buy (and its negative a sell).") var threshold: Double = 5
    @Option(help: "Quote currency spent per buy.") var budget = 100_000
    @Option(help: "KRW the paper account starts with.") var cash = 1_000_000
    @Option(help: "Fee per fill, as a fraction of its funds (Upbit's KRW market: 0.0005).") var fee = "0.0005"
    @Option(help: "Trade from this receive time: \(RecordingTime.forms).") var from: String?
    @Option(help: "Trade up to this receive time, the whole millisecond or second it names included.") var to: String?

    func validate() throws {
        guard !files.isEmpty else { throw ValidationError("name at least one recording file") }
        if let codes {
            guard let markets = try? MarketCode.parseList(codes), markets.allSatisfy({ $0.quote == "KRW" }) else {
                throw ValidationError("--codes must be KRW markets such as KRW-BTC,KRW-ETH")
            }
        }
        guard (2...1_000).contains(lookback) else { throw ValidationError("--lookback must be 2 to 1000") }
        guard threshold.isFinite, threshold >= 0 else {
            throw ValidationError("--threshold must be a finite number of basis points, 0 or more")
        }
        guard budget >= 5_000 else { throw ValidationError("--budget must be at least 5000 (Upbit's minimum order)") }
        guard cash >= budget else { throw ValidationError("--cash must be at least --budget") }
        guard let rate = ExactDecimal(fee), rate >= .zero, rate < 1 else {
            throw ValidationError("--fee must be a fraction from 0 to below 1, such as 0.0005")
        }
        do {
            _ = try RecordingTime.range(from: from, to: to)
        } catch {
            throw ValidationError(error.description)
        }
    }

    func run() async throws {
        // A closed stdout (`| head`) makes `print` fail quietly instead of killing the program.
        signal(SIGPIPE, SIG_IGN)
        let logger = Logger(label: "momentum-backtest", factory: { _ in SwiftLogNoOpLogHandler() })
        let header: RecordingHeader
        do {
            header = try RecordingReader(path: files[0]).header
        } catch {
            throw BacktestError("\(error)")
        }
        guard header.venue == "upbit" || header.venue == "mock" else {
            throw BacktestError(
                "\(files[0]) records '\(header.venue)': the momentum strategy trades KRW markets of an Upbit-dialect venue"
            )
        }
        let markets = try codes.map(MarketCode.parseList) ?? Self.tickerMarkets(header.subscriptions)
        guard !markets.isEmpty else {
            throw BacktestError("the recording names no KRW ticker subscription: give --codes")
        }
        let upbit = try UpbitExchange(
            exchange: ExchangeID(rawValue: header.venue), configuration: .init(), logger: logger)
        let replay: ReplayExchange
        do {
            let (start, end) = try RecordingTime.range(from: from, to: to)
            replay = try ReplayExchange(
                venue: upbit, files: files, from: start, to: end, speed: .asFastAsPossible, logger: logger)
        } catch {
            throw BacktestError("\(error)")
        }
        let router = MarketDataRouter(
            managers: [replay],
            configuration: RouterConfiguration(bufferCapacity: 1 << 20, reconnect: ReconnectPolicy(jitter: 0)),
            clock: replay.routerClock, wallClock: replay.wallClock, logger: logger)
        let desk = PaperOrderDesk(balances: ["KRW": ExactDecimal(cash)], feeRate: ExactDecimal(fee) ?? .zero)
        // Lines carry the recording's time of the event being handled.
        let now = Mutex(UnixTime(nanoseconds: 0))
        let stamp: @Sendable () -> String = { "[\(Self.utcTime(now.withLock { $0 }))]" }
        print(
            "momentum-backtest: \(markets.map(\.rawValue).joined(separator: ", ")) from \(files.count) recording(s) of \(header.venue), lookback \(lookback) ticks, threshold \(threshold) bps, \(budget) KRW per buy"
        )
        let (lookback, threshold, budget) = (self.lookback, self.threshold, self.budget)
        let outcome = try await ServiceProgram.run(services: [replay, router], logger: logger) {
            var session = TradingSession(
                desk: desk, signal: MomentumSignal(lookback: lookback),
                threshold: ExactDecimal(String(threshold)) ?? 5, budget: ExactDecimal(budget), stamp: stamp)
            try await session.start()
            let tickers = try router.subscribe(to: .ticker, markets: markets)
            var replayed = 0
            var reconnects = 0
            for try await event in tickers {
                if ReplayExchange.isEnd(event) { break }
                switch event {
                case .market(let market):
                    replayed += 1
                    now.withLock { $0 = market.timestamp }
                    desk.observe(market)
                    await session.handle(market)
                    for account in desk.takeAccountEvents() { await session.handle(account) }
                case .connection(let change):
                    if case .reconnecting = change.kind { reconnects += 1 }
                }
            }
            tickers.cancel()
            print("replayed \(replayed) tickers, \(reconnects) recorded reconnects")
            print(session.summary())
            for issue in replay.issues { print("recording damage: \(issue)") }
        }
        if outcome != .completed { throw ExitCode(outcome.exitStatus) }
    }

    /// The KRW markets of the recording's ticker subscriptions (`ticker/KRW-BTC`).
    static func tickerMarkets(_ subscriptions: [String]) -> [MarketCode] {
        subscriptions.compactMap { text in
            guard text.hasPrefix("ticker/"), let market = try? MarketCode(String(text.dropFirst(7))),
                market.quote == "KRW"
            else { return nil }
            return market
        }
    }

    /// `HH:MM:SS.mmm` of `time`, UTC.
    static func utcTime(_ time: UnixTime) -> String {
        let milliseconds = ((time.milliseconds % 86_400_000) + 86_400_000) % 86_400_000
        let seconds = milliseconds / 1_000
        return String(
            format: "%02d:%02d:%02d.%03d", Int(seconds / 3_600), Int(seconds / 60 % 60), Int(seconds % 60),
            Int(milliseconds % 1_000))
    }
}

/// A recording the backtest cannot use: printed as one line (`Error: …`), exit status 1.
struct BacktestError: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) {
        self.description = description
    }
}
