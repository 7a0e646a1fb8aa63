/// One upstream stream: a data kind for a market on one exchange.
///
/// This is the only key the routing tables use. Account-wide kinds (`myAsset`) use the
/// ``MarketCode/account`` placeholder market.
public struct SubscriptionTopic: Hashable, Sendable, CustomStringConvertible {
    /// The exchange that carries the stream.
    public var exchange: ExchangeID
    /// The data kind.
    public var kind: DataKind
    /// The market.
    public var market: MarketCode

    /// Creates a topic.
    public init(exchange: ExchangeID, kind: DataKind, market: MarketCode) {
        self.exchange = exchange
        self.kind = kind
        self.market = market
    }

    public var description: String { "\(exchange)/\(kind)/\(market)" }
}

extension MarketCode {
    /// The placeholder market of account-wide kinds such as `myAsset`.
    public static let account = MarketCode(validated: "ALL-ACCOUNT")
}
