import MarketStreamCore
import UpbitExchange

/// An order the desk accepted.
public struct PlacedOrder: Sendable, Hashable {
    /// The exchange's id of the order.
    public var uuid: String
    /// Whether it still waits for fills (a market order is usually filled at once).
    public var isOpen: Bool

    /// Creates a placed order.
    public init(uuid: String, isOpen: Bool) {
        self.uuid = uuid
        self.isOpen = isOpen
    }
}

/// Where the strategy's orders go: Upbit's REST API when live (``UpbitOrderDesk``), an in-process
/// paper account when backtesting (``PaperOrderDesk``). Fills and balances come back as `myOrder`
/// and `myAsset` events either way.
public protocol OrderDesk: Sendable {
    /// The account's balances now.
    func balances() async throws -> [MyAsset.Balance]
    /// Places an order.
    func place(_ request: UpbitOrderRequest) async throws -> PlacedOrder
}

/// Orders over Upbit's (or the mock exchange's) REST API.
public struct UpbitOrderDesk: OrderDesk {
    /// The REST client orders go through.
    public let rest: UpbitRESTClient

    /// Creates a desk on `rest`.
    public init(rest: UpbitRESTClient) {
        self.rest = rest
    }

    public func balances() async throws -> [MyAsset.Balance] {
        try await rest.accounts().map { MyAsset.Balance(currency: $0.currency, balance: $0.balance, locked: $0.locked) }
    }

    public func place(_ request: UpbitOrderRequest) async throws -> PlacedOrder {
        let order = try await rest.placeOrder(request)
        return PlacedOrder(uuid: order.uuid, isOpen: order.isOpen)
    }
}
