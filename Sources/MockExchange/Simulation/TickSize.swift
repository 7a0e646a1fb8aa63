import MarketStreamCore

/// Upbit's price units (USDT prices of 1 000 and more move by cents, as Binance's BTCUSDT): every quoted price is a multiple of the tick for its price level.
enum TickSize {
    /// The tick for `price` on a market quoted in `quote`.
    static func tick(for price: ExactDecimal, quote: Substring) -> ExactDecimal {
        switch quote {
        case "BTC": return ExactDecimal(significand: 1, exponent: -8)
        case "USDT": return ExactDecimal(significand: 1, exponent: price >= 1_000 ? -2 : -3)
        default: break
        }
        // KRW market rules (2023 table).
        let levels: [(floor: ExactDecimal, tick: ExactDecimal)] = [
            (2_000_000, 1_000), (1_000_000, 500), (500_000, 100), (100_000, 50), (10_000, 10), (1_000, 1),
            (100, ExactDecimal(significand: 1, exponent: -1)), (10, ExactDecimal(significand: 1, exponent: -2)),
            (1, ExactDecimal(significand: 1, exponent: -3)),
        ]
        for level in levels where price >= level.floor { return level.tick }
        return ExactDecimal(significand: 1, exponent: -4)
    }

    /// `price` rounded down to its tick.
    static func round(_ price: ExactDecimal, quote: Substring) -> ExactDecimal {
        let tick = tick(for: price, quote: quote)
        guard let ticks = price.divided(by: tick, scale: 0) else { return price }
        // Round half away from zero, then back to a multiple of the tick.
        return ticks * tick
    }
}
