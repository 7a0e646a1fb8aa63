import Foundation
import MarketStreamCore
import MarketStreamRouting
import UpbitExchange

/// The strategy's state and reactions: signals from tickers, orders through an ``OrderDesk``
/// (REST when live, a paper account in a backtest), fills and balances from `myOrder`/`myAsset`
/// whether they come from the stream, from REST polling or from the paper account.
///
/// Buys a market with `budget` of the quote currency when its momentum reaches `threshold` basis
/// points, and sells the whole holding when it falls as far.
public struct TradingSession {
    /// Where orders go.
    public let desk: any OrderDesk
    /// The momentum of each market.
    public private(set) var signal: MomentumSignal
    /// The momentum, in basis points, that triggers a buy (and its negative a sell).
    public let threshold: ExactDecimal
    /// The quote currency spent per buy.
    public let budget: ExactDecimal
    let stamp: @Sendable () -> String
    private var portfolio = Portfolio()
    /// Orders sent and not yet done or cancelled, by uuid.
    private var pending: [String: MarketCode] = [:]
    private var ordersPlaced = 0
    private var fills: [StreamKind: Int] = [:]
    private var rejected = 0
    /// Markets with an order whose balance change has not been seen yet.
    private var awaitingBalance: Set<MarketCode> = []

    /// Creates a session.
    /// - Parameter stamp: The time prefix of each printed line (elapsed time live, the
    ///   recording's time in a backtest).
    public init(
        desk: any OrderDesk, signal: MomentumSignal, threshold: ExactDecimal, budget: ExactDecimal,
        stamp: @escaping @Sendable () -> String
    ) {
        self.desk = desk
        self.signal = signal
        self.threshold = threshold
        self.budget = budget
        self.stamp = stamp
    }

    /// Reads the starting balances from the desk.
    public mutating func start() async throws {
        portfolio.apply(try await desk.balances())
        let cash = portfolio.holding("KRW")
        print("start: \(cash) KRW available")
    }

    /// Reacts to an event: a ticker may place an order; `myOrder` and `myAsset` report fills and
    /// balances.
    public mutating func handle(_ event: MarketEvent) async {
        switch event.payload {
        case .ticker(let ticker):
            guard let momentum = signal.update(event.market, price: ticker.price) else { return }
            let signal = self.signal
            portfolio.markStart { currency in signal.lastPrice(Self.market(currency)) }
            await decide(event.market, momentum: momentum, price: ticker.price)
        case .myOrder(let order):
            if order.state == "trade", let price = order.price, let volume = order.volume {
                fills[event.stream, default: 0] += 1
                print(
                    "\(stamp()) fill  \(event.market) \(order.side == .bid ? "bought" : "sold") \(volume) @ \(price) (\(event.stream.rawValue))"
                )
            }
            if order.state == "done" || order.state == "cancel" { pending[order.uuid] = nil }
        case .myAsset(let asset):
            portfolio.apply(asset.assets)
            awaitingBalance = awaitingBalance.filter { market in
                !asset.assets.contains { $0.currency == market.base }
            }
        default:
            break
        }
    }

    private mutating func decide(_ market: MarketCode, momentum: ExactDecimal, price: ExactDecimal) async {
        guard !pending.values.contains(market), !awaitingBalance.contains(market) else { return }
        let holding = portfolio.holding(String(market.base))
        let request: UpbitOrderRequest
        if momentum >= threshold, holding.isZero, portfolio.holding("KRW") >= budget {
            request = .marketBuy(market, funds: budget)
        } else if momentum <= .zero - threshold, !holding.isZero, (holding * price) >= 5_000 {
            request = .marketSell(market, volume: holding)
        } else {
            return
        }
        do {
            let order = try await desk.place(request)
            ordersPlaced += 1
            awaitingBalance.insert(market)
            if order.isOpen { pending[order.uuid] = market }
            print(
                "\(stamp()) \(request.side == .bid ? "BUY " : "SELL") \(market) \(request.side == .bid ? "\(budget) KRW" : "\(holding)") at market (momentum \(momentum) bps)"
            )
        } catch {
            rejected += 1
            print("\(stamp()) order refused: \(error)")
        }
    }

    /// Positions, cash, equity, profit and loss, orders and fills; the private channel's mode
    /// when `health` has one (a backtest has none).
    public func summary(health: RouterHealth? = nil) -> String {
        let signal = self.signal
        let price = { (currency: String) in signal.lastPrice(Self.market(currency)) }
        let equity = portfolio.equity(price: price)
        var lines = ["summary:"]
        for (currency, balance) in portfolio.balances.sorted(by: { $0.key < $1.key }) where currency != "KRW" {
            let amount = balance.balance + balance.locked
            guard !amount.isZero else { continue }
            let value = price(currency).map { " (worth \(amount * $0) KRW)" } ?? ""
            lines.append("  position \(currency): \(amount)\(value)")
        }
        lines.append("  cash: \(portfolio.holding("KRW")) KRW")
        lines.append("  equity: \(equity) KRW")
        if let start = portfolio.startEquity {
            lines.append("  PnL: \(equity - start) KRW since the first signal (fees included)")
        }
        let polled = fills[.polled] ?? 0
        lines.append(
            "  orders: \(ordersPlaced) placed, \(rejected) refused; fills: \(fills.values.reduce(0, +)) (\(polled) from REST polling)"
        )
        if let channel = health?.channels.first(where: { $0.channel.channel == .private }) {
            lines.append(
                "  private channel: \(channel.mode), \(channel.polledEvents) polled events, \(channel.reconnects) reconnects"
            )
        }
        return lines.joined(separator: "\n")
    }

    private static func market(_ currency: String) -> MarketCode {
        MarketCode(validated: "KRW-\(currency)")
    }
}
