import MarketStreamCore
import MockExchange
import MomentumStrategy
import Testing
import UpbitExchange

/// The momentum strategy over a paper account in process, as a backtest runs it.
@Suite struct BacktestSessionTests {
    static let btc = MarketCode(validated: "KRW-BTC")

    static func ticker(_ price: ExactDecimal, at milliseconds: Int64) -> MarketEvent {
        MarketEvent(
            exchange: "upbit", kind: .ticker, market: btc, stream: .realtime,
            timestamp: UnixTime(milliseconds: milliseconds), receivedAt: UnixTime(milliseconds: milliseconds),
            generation: ConnectionGeneration(1), payload: .ticker(Ticker(price: price)))
    }

    /// Runs the strategy over `prices` the way `momentum-backtest` does: the desk sees each event
    /// first, then the session, then the session hears of its fills.
    static func backtest(_ prices: [ExactDecimal]) async throws -> (summary: String, desk: PaperOrderDesk) {
        let desk = PaperOrderDesk(balances: ["KRW": 1_000_000])
        var session = TradingSession(
            desk: desk, signal: MomentumSignal(lookback: 3), threshold: 50, budget: 100_000, stamp: { "" })
        try await session.start()
        for (index, price) in prices.enumerated() {
            let event = ticker(price, at: 1_000 * Int64(index))
            desk.observe(event)
            await session.handle(event)
            for account in desk.takeAccountEvents() { await session.handle(account) }
        }
        return (session.summary(), desk)
    }

    @Test func aRiseBuysAFallSellsAndThePnLCountsTheFees() async throws {
        // Up 1 % over three ticks: buy 100 000 KRW at 1 000. Down 1 % from 1 100: sell at 1 089.
        let (summary, desk) = try await Self.backtest([990, 995, 1_000, 1_050, 1_100, 1_095, 1_089])
        let balances = try await desk.balances()
        // Bought 100 BTC for 100 000 + 50 fee; sold 100 at 1 089 for 108 900 − 54.45 fee.
        #expect(balances.first { $0.currency == "KRW" }?.balance == ExactDecimal("1008795.55"))
        #expect(balances.first { $0.currency == "BTC" }?.balance == .zero)
        #expect(summary.contains("orders: 2 placed, 0 refused; fills: 2"), "\(summary)")
        #expect(summary.contains("PnL: 8795.55 KRW"), "\(summary)")
    }

    @Test func theSamePricesGiveTheSameSummary() async throws {
        let prices: [ExactDecimal] = (0..<400).map { step in
            // A deterministic zig-zag with drift: rises and falls that cross the threshold.
            ExactDecimal(100_000 + (step % 37) * 150 - (step % 11) * 320 + step * 3)
        }
        let first = try await Self.backtest(prices).summary
        let second = try await Self.backtest(prices).summary
        #expect(first == second)
        #expect(!first.contains("orders: 0 placed"), "the prices trade: \(first)")
    }

    @Test func anOrderBeyondTheCashIsRefusedWithUpbitsErrorName() async throws {
        let desk = PaperOrderDesk(balances: ["KRW": 10_000])
        desk.observe(Self.ticker(1_000, at: 0))
        do {
            _ = try await desk.place(.marketBuy(Self.btc, funds: 50_000))
            Issue.record("an order beyond the cash was accepted")
        } catch let error as LedgerError {
            #expect(error.name == "insufficient_funds_bid")
        }
        #expect(desk.takeAccountEvents().isEmpty)
    }

    @Test func aMarketWithoutAPriceIsUnknown() async throws {
        let desk = PaperOrderDesk(balances: ["KRW": 1_000_000])
        do {
            _ = try await desk.place(.marketBuy(Self.btc, funds: 50_000))
            Issue.record("an order before any price was accepted")
        } catch let error as LedgerError {
            #expect(error.name == "market_does_not_exist")
        }
    }
}
