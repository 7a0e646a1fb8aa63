import MarketStreamCore

/// What a subscriber's bounded buffer does when the subscriber falls behind.
///
/// Every subscriber has its own buffer; whatever its policy, a slow subscriber never delays the
/// read loop or any other subscriber. Events the policy discards are counted
/// (``Subscription/droppedCount`` and the `marketstream.subscriber.dropped` metric).
public struct DeliveryPolicy: Sendable, Hashable, CustomStringConvertible {
    enum Base: Sendable, Hashable {
        case dropOldest, coalesceByKey, throttle(Duration), lossless, connectionEventsOnly
    }

    let base: Base

    /// When full, drop the oldest buffered event. The default for tickers and books.
    public static var dropOldest: Self { .init(base: .dropOldest) }

    /// Keep only the latest event per (kind, market): a newer event replaces the buffered one in
    /// place. Ideal for user interfaces that show current state.
    public static var coalesceByKey: Self { .init(base: .coalesceByKey) }

    /// At most one event per (kind, market) per `interval` (by receive time); the rest are dropped.
    /// When full, the oldest buffered event is dropped.
    public static func throttle(_ interval: Duration) -> Self { .init(base: .throttle(interval)) }

    /// Never drop: when the buffer is full, the subscription ends with
    /// `MarketStreamError/Code/subscriberTooSlow` after the buffered events. For private order
    /// and balance events, where a silent gap would be worse than a loud failure.
    public static var lossless: Self { .init(base: .lossless) }

    /// Hold the subscription's topics upstream but deliver only connection events (reconnecting,
    /// restored, errors), never market events. For a process that takes the frames themselves
    /// from a ``FrameTap`` — a gateway that passes them on, a recorder — and needs the router only
    /// to keep the exchange subscribed: nothing is buffered, so nothing is dropped.
    public static var connectionEventsOnly: Self { .init(base: .connectionEventsOnly) }

    public var description: String {
        switch base {
        case .dropOldest: "dropOldest"
        case .coalesceByKey: "coalesceByKey"
        case .throttle(let interval): "throttle(\(interval))"
        case .lossless: "lossless"
        case .connectionEventsOnly: "connectionEventsOnly"
        }
    }

    /// The policy MarketStream picks for `kind` when none is given: lossless for the account's
    /// orders and assets, drop-oldest for everything else.
    public static func `default`(for kind: DataKind) -> Self {
        kind.isPrivate ? .lossless : .dropOldest
    }
}
