/// Changed balances of the account (Upbit `myAsset`).
public struct MyAsset: Sendable, Hashable {
    /// One currency's balance.
    public struct Balance: Sendable, Hashable {
        public var currency: String
        /// Available balance (exact; Upbit sends more digits than a `Double` holds).
        public var balance: ExactDecimal
        /// Balance locked in open orders.
        public var locked: ExactDecimal

        /// Creates a balance.
        public init(currency: String, balance: ExactDecimal, locked: ExactDecimal) {
            self.currency = currency
            self.balance = balance
            self.locked = locked
        }
    }

    public var assetUUID: String
    public var assets: [Balance]
    public var assetTimestamp: UnixTime

    /// Creates a balance update.
    public init(assetUUID: String, assets: [Balance], assetTimestamp: UnixTime) {
        self.assetUUID = assetUUID
        self.assets = assets
        self.assetTimestamp = assetTimestamp
    }
}
