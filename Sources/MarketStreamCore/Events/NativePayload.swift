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

/// Decodes a venue's own payload from the bytes of the object it was sent in: a venue module's
/// type, named by its metatype in a ``DeferredNativePayload`` so that an event holds no shared
/// reference for it.
public protocol NativePayloadDecoding: Sendable {
    /// The venue payload `bytes` hold (one JSON object as the venue sent it), read as `variant`
    /// says (the module's own flags: its dialect); `nil` when they hold none.
    static func nativePayload(from bytes: UnsafeBufferPointer<UInt8>, variant: UInt8) -> (any NativePayload)?
}

/// A venue's own payload kept as the bytes of the object it came in and decoded when a program
/// asks for it (``CarriesNativePayload/native``), each time it asks.
///
/// A venue module's decoder reads the fields every venue can state into the normalised payload
/// and checks the rest (so a malformed field is still a typed error of the frame), but builds the
/// venue's whole payload (every decimal and string Upbit sends) only on demand: most programs
/// never read it, and building it was half of decoding a ticker.
public struct DeferredNativePayload: Sendable {
    /// The object's bytes, as the venue sent them.
    public let bytes: [UInt8]
    /// What decodes them.
    public let decoding: any NativePayloadDecoding.Type
    /// The decoding module's flags (its dialect).
    public let variant: UInt8

    /// Keeps `bytes` for `decoding` to read, with `variant`, when the payload is asked for.
    public init(bytes: [UInt8], decoding: any NativePayloadDecoding.Type, variant: UInt8 = 0) {
        self.bytes = bytes
        self.decoding = decoding
        self.variant = variant
    }

    /// The payload, decoded now.
    public var value: (any NativePayload)? {
        bytes.withUnsafeBufferPointer { decoding.nativePayload(from: $0, variant: variant) }
    }
}

/// A venue's payload, or the bytes it is decoded from when asked for (``DeferredNativePayload``),
/// equatable and hashable whatever its type, so the payloads that carry one synthesise their own
/// equality: two are equal when they are of one type with equal fields, however each is kept.
struct NativePayloadBox: Hashable, Sendable {
    private enum Storage: Sendable {
        case value(any NativePayload)
        case deferred(DeferredNativePayload)
    }

    private let storage: Storage

    init(_ value: any NativePayload) { storage = .value(value) }

    init(deferred: consuming DeferredNativePayload) { storage = .deferred(deferred) }

    /// The payload (decoded now when it was deferred).
    var value: (any NativePayload)? {
        switch storage {
        case .value(let value): value
        case .deferred(let deferred): deferred.value
        }
    }

    static func == (lhs: NativePayloadBox, rhs: NativePayloadBox) -> Bool {
        switch (lhs.value, rhs.value) {
        case (let left?, let right?): left.isEqual(to: right)
        case (nil, nil): lhs.deferredBytes == rhs.deferredBytes
        default: false
        }
    }

    func hash(into hasher: inout Hasher) {
        if let value { hasher.combine(value) } else { hasher.combine(deferredBytes) }
    }

    /// The bytes of a deferred payload.
    private var deferredBytes: [UInt8]? {
        guard case .deferred(let deferred) = storage else { return nil }
        return deferred.bytes
    }
}

extension NativePayload {
    /// Whether `other` is a payload of the same type with the same fields.
    fileprivate func isEqual(to other: any NativePayload) -> Bool {
        guard let other = other as? Self else { return false }
        return self == other
    }
}
