import MarketStreamCore
import MockExchange
import Synchronization
import UpbitExchange

/// A paper account in process, for backtests: orders fill at once against the latest prices the
/// strategy has seen, through the mock exchange's ``PaperLedger``, and the fills come back as the
/// `myOrder` and `myAsset` events Upbit would send.
///
/// Without order books a market order fills at the last price (Upbit's ticker names no best ask or
/// bid), so a backtest over tickers alone pays no spread, only the fee.
///
/// Deterministic: prices are those ``observe(_:)`` was given, times those of the observed events,
/// so the same events give the same fills. Feed each market event to ``observe(_:)`` before the
/// strategy sees it, and hand the strategy ``takeAccountEvents()`` after it reacted.
public final class PaperOrderDesk: OrderDesk {
    private struct State {
        var ledger: PaperLedger
        /// Each market's best ask and bid: from its order book when one was seen, else its last
        /// trade price on both sides.
        var tops: [MarketCode: Orderbook.Unit] = [:]
        var booked: Set<MarketCode> = []
        /// Epoch milliseconds of the latest observed event.
        var now: Int64 = 0
        var accountEvents: [MarketEvent] = []
    }

    private let state: Mutex<State>

    /// Creates an account.
    /// - Parameters:
    ///   - balances: Starting balances, such as `["KRW": 1_000_000]`.
    ///   - feeRate: The fee on each fill as a fraction of its funds (Upbit's KRW market: 0.0005).
    public init(balances: [String: ExactDecimal], feeRate: ExactDecimal = ExactDecimal(significand: 5, exponent: -4)) {
        state = Mutex(State(ledger: PaperLedger(balances: balances, feeRate: feeRate)))
    }

    /// Takes the prices and time of a market event (tickers, trades and order books move prices).
    public func observe(_ event: MarketEvent) {
        state.withLock { state in
            state.now = max(state.now, event.timestamp.milliseconds)
            switch event.payload {
            case .orderbook(let book):
                guard let top = book.units.first else { return }
                state.tops[event.market] = top
                state.booked.insert(event.market)
            case .ticker(let ticker) where !state.booked.contains(event.market):
                // Binance's ticker names the best ask and bid; Upbit's only the last price.
                state.tops[event.market] = Orderbook.Unit(
                    askPrice: ticker.bestAskPrice ?? ticker.price, bidPrice: ticker.bestBidPrice ?? ticker.price,
                    askSize: ticker.bestAskSize ?? .zero, bidSize: ticker.bestBidSize ?? .zero)
            case .trade(let trade) where !state.booked.contains(event.market):
                state.tops[event.market] = Self.unit(at: trade.price)
            default:
                break
            }
        }
    }

    /// The account events of the orders placed since the last call, oldest first.
    public func takeAccountEvents() -> [MarketEvent] {
        state.withLock { state in
            defer { state.accountEvents.removeAll() }
            return state.accountEvents
        }
    }

    public func balances() async throws -> [MyAsset.Balance] {
        state.withLock { state in
            state.ledger.balances.sorted { $0.key < $1.key }.map {
                MyAsset.Balance(currency: $0.key, balance: $0.value.balance, locked: $0.value.locked)
            }
        }
    }

    public func place(_ request: UpbitOrderRequest) async throws -> PlacedOrder {
        try state.withLock { state throws(LedgerError) in
            let (order, fills, events) = try state.ledger.place(
                market: request.market, side: request.side, orderType: request.orderType, price: request.price,
                volume: request.volume, identifier: request.identifier, top: state.tops[request.market],
                at: state.now)
            state.accountEvents += events + fills.flatMap(\.privateEvents)
            return PlacedOrder(uuid: order.id, isOpen: order.isOpen)
        }
    }

    private static func unit(at price: ExactDecimal) -> Orderbook.Unit {
        Orderbook.Unit(askPrice: price, bidPrice: price, askSize: .zero, bidSize: .zero)
    }
}
