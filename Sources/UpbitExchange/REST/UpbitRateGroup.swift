import Foundation
import MarketStreamCore

/// Upbit's REST rate-limit groups (PROTOCOL §7) and the per-second budget of each.
public enum UpbitRateGroup: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// `GET /v1/market/all`: 10/s per IP.
    case market
    /// `/v1/candles/*`: 10/s per IP.
    case candle
    /// `/v1/trades/ticks`: 10/s per IP.
    case trade
    /// `/v1/ticker`: 10/s per IP.
    case ticker
    /// `/v1/orderbook`: 10/s per IP.
    case orderbook
    /// Exchange calls (accounts, order queries, cancels): 30/s per pocket.
    case `default`
    /// `POST /v1/orders`: 8/s per pocket (newer documents say 12; the older figure is kept).
    case order
    /// `POST /v1/orders/test`: 8/s per pocket.
    case orderTest = "order-test"
    /// `DELETE /v1/orders/open`: 1 per 2 s per pocket.
    case orderCancelAll = "order-cancel-all"

    /// The group's documented limit.
    public var limit: RateLimit {
        switch self {
        case .market, .candle, .trade, .ticker, .orderbook: RateLimit(10, per: .seconds(1))
        case .default: RateLimit(30, per: .seconds(1))
        case .order, .orderTest: RateLimit(8, per: .seconds(1))
        case .orderCancelAll: RateLimit(1, per: .seconds(2))
        }
    }

    public var description: String { rawValue }
}

/// Who is waiting for a REST call; under a shared budget, higher priorities go first and a share
/// of every group is kept for them.
public enum UpbitRequestPriority: Int, Sendable, Hashable, Comparable, CaseIterable {
    /// Placing and cancelling orders.
    case trading = 0
    /// A caller waiting for an answer (balances, an order's state, a snapshot asked for).
    case query = 1
    /// Fallback polling and other background refreshes.
    case background = 2

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// Upbit's `Remaining-Req` response header: `group=default; min=1800; sec=29`.
public struct UpbitRemainingRequests: Sendable, Hashable {
    /// The rate group the call counted against.
    public var group: String
    /// Calls left in the current second.
    public var remainingThisSecond: Int

    /// Parses the header; `nil` when it is not in Upbit's form. `min` is deprecated and ignored.
    public init?(header: String) {
        var group: String?
        var second: Int?
        for part in header.split(separator: ";") {
            let pair = part.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard pair.count == 2 else { continue }
            switch pair[0] {
            case "group": group = pair[1]
            case "sec": second = Int(pair[1])
            default: break
            }
        }
        guard let group, !group.isEmpty, let second, second >= 0 else { return nil }
        self.group = group
        self.remainingThisSecond = second
    }
}
