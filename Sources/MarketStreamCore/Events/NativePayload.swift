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

/// A normalised payload that keeps its venue's own one (``NativePayload``).
public protocol CarriesNativePayload {
    /// The venue's own payload, with every field it sent.
    var native: (any NativePayload)? { get }
}

extension CarriesNativePayload {
    /// The venue's own payload, if it is a `T`.
    public func native<T: NativePayload>(as type: T.Type) -> T? { native as? T }
}

/// A venue's payload, equatable and hashable whatever its type, so the payloads that carry one
/// synthesise their own equality: two are equal when they are of one type with equal fields.
struct NativePayloadBox: Hashable, Sendable {
    let value: any NativePayload

    static func == (lhs: NativePayloadBox, rhs: NativePayloadBox) -> Bool { lhs.value.isEqual(to: rhs.value) }

    func hash(into hasher: inout Hasher) { hasher.combine(value) }
}

extension NativePayload {
    /// Whether `other` is a payload of the same type with the same fields.
    fileprivate func isEqual(to other: any NativePayload) -> Bool {
        guard let other = other as? Self else { return false }
        return self == other
    }
}
