import CMarketStreamPluginABI
import MarketStreamCore

extension ExactDecimal {
    /// The value of an ABI decimal, or `nil` when its exponent is out of range or `reserved` is set.
    package init?(abi value: ms_decimal) {
        guard value.reserved == 0, let exponent = Int16(exactly: value.exponent) else { return nil }
        self.init(significand: Int128(value.high) << 64 | Int128(value.low), exponent: exponent)
    }
}

extension ms_decimal {
    /// The ABI form of an exact decimal.
    package init(_ value: ExactDecimal) {
        let significand = value.significand
        self.init(
            low: UInt64(truncatingIfNeeded: significand), high: Int64(truncatingIfNeeded: significand >> 64),
            exponent: Int32(value.exponent), reserved: 0)
    }
}

/// Kinds a plugin may consume through ABI version 1: the public market-data families.
package enum PluginInputKinds {
    /// Whether events of `kind` can cross the plugin ABI.
    package static func isSupported(_ kind: DataKind) -> Bool {
        switch kind.family {
        case "ticker", "trade", "orderbook", "candle": true
        default: false
        }
    }
}
