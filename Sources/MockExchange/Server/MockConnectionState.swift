import MarketStreamCore

/// One open Upbit connection of the mock exchange as a test or a chaos run inspects it.
public struct MockConnectionState: Sendable, Hashable {
    /// The connection's number (increasing with every connection the server accepts).
    public var id: Int
    /// Whether it is a `/websocket/v1/private` connection.
    public var isPrivate: Bool
    /// Whether ``MockExchangeServer/freezeConnections()`` froze it.
    public var isFrozen: Bool
    /// Its live subscription set.
    public var subscriptions: Set<MockSubscription>
}

/// One entry of an Upbit connection's subscription set.
public struct MockSubscription: Sendable, Hashable, CustomStringConvertible {
    /// The type as requested: `ticker`, `trade`, `orderbook`, `candle.1m`, `myOrder`, `myAsset`.
    public var type: String
    /// The market; `nil` for account-wide private types.
    public var market: MarketCode?
    /// The book depth the code asked for (`KRW-BTC.15` → 15); `nil` for none.
    public var depth: Int?

    /// Creates an entry.
    public init(type: String, market: MarketCode?, depth: Int? = nil) {
        self.type = type
        self.market = market
        self.depth = depth
    }

    public var description: String {
        "\(type):\(market?.rawValue ?? "*")" + (depth.map { ".\($0)" } ?? "")
    }
}
