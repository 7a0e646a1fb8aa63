/// A venue's own payload behind a normalised event (`UpbitTicker`, `BinanceTicker`, …): every field
/// the venue sent, in the venue's module.
///
/// The core's ``Ticker``, ``Trade`` and ``Candle`` carry what every venue can say; a program that
/// needs a venue's own field asks for the venue's type:
///
/// ```swift
/// if let upbit = ticker.native(as: UpbitTicker.self) { print(upbit.highest52WeekPrice) }
/// ```
public protocol NativePayload: Sendable, Hashable {}

extension NativePayload {
    /// Whether `other` is a payload of the same type with the same fields.
    func isEqual(to other: (any NativePayload)?) -> Bool {
        guard let other = other as? Self else { return false }
        return self == other
    }
}

/// Compares two optional native payloads of any types.
func nativePayloadsEqual(_ lhs: (any NativePayload)?, _ rhs: (any NativePayload)?) -> Bool {
    switch (lhs, rhs) {
    case (nil, nil): true
    case (let lhs?, let rhs): lhs.isEqual(to: rhs)
    case (nil, _?): false
    }
}
