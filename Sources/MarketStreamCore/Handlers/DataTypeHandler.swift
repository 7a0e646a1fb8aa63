/// Derives a data kind from other kinds of the same market: a spread from order books, a VWAP
/// from trades, bars of any interval from trades.
///
/// A handler declares the kind it produces and the kinds it consumes. Subscribing to the
/// produced kind subscribes upstream to the consumed kinds — consolidated with everything else —
/// and releases them when the last subscriber leaves. The router creates one processor per
/// (exchange, market) while someone subscribes to the produced kind there.
///
/// ## Threading
/// The router calls a processor on the read path of the connection that delivered the input,
/// one event at a time; processors must not block. A processor that throws loses that one event
/// (counted in the channel's health); other subscribers and handlers are unaffected.
///
/// ```swift
/// struct SpreadHandler: DataTypeHandler {
///     let producedKind = try! DataKind.custom("spread")
///     let consumedKinds: [DataKind] = [.orderbook]
///     func makeProcessor(exchange: ExchangeID, market: MarketCode) -> any DataTypeProcessor { SpreadProcessor() }
/// }
/// ```
public protocol DataTypeHandler: Sendable {
    /// The kind this handler produces; a custom kind (``DataKind/custom(_:)``).
    var producedKind: DataKind { get }
    /// The kinds it consumes, for the same exchange and market; built-in kinds.
    var consumedKinds: [DataKind] { get }
    /// Creates the per-market state.
    /// - Parameters:
    ///   - exchange: The exchange.
    ///   - market: The market.
    /// - Returns: A processor for that market.
    /// - Throws: Any error; the subscription then fails with it.
    func makeProcessor(exchange: ExchangeID, market: MarketCode) throws -> any DataTypeProcessor
}

/// The per-market state of a ``DataTypeHandler``.
public protocol DataTypeProcessor {
    /// Turns one input event into zero or more payloads of the produced kind.
    /// - Parameter event: An event of one of the consumed kinds.
    /// - Returns: The payloads to deliver, stamped like `event`.
    /// - Throws: Any error; the event is skipped and counted.
    mutating func process(_ event: MarketEvent) throws -> [MarketPayload]
}

/// A validated set of data-type handlers.
public struct HandlerRegistry: Sendable {
    /// The handlers by the kind they produce.
    public let handlers: [DataKind: any DataTypeHandler]

    /// No handlers.
    public static let empty = HandlerRegistry(validated: [:])

    private init(validated: [DataKind: any DataTypeHandler]) { handlers = validated }

    /// Validates handlers.
    /// - Parameter handlers: The handlers to register.
    /// - Throws: ``MarketStreamError/Code/invalidArgument`` when a handler produces a built-in or an
    ///   already produced kind, consumes nothing, or consumes a kind that is not built in.
    public init(_ handlers: [any DataTypeHandler]) throws(MarketStreamError) {
        var byKind: [DataKind: any DataTypeHandler] = [:]
        for handler in handlers {
            let kind = handler.producedKind
            guard kind.isCustom else {
                throw MarketStreamError(.invalidArgument, "a handler cannot produce the built-in kind '\(kind)'")
            }
            guard byKind[kind] == nil else {
                throw MarketStreamError(.invalidArgument, "two handlers produce '\(kind)'")
            }
            guard !handler.consumedKinds.isEmpty else {
                throw MarketStreamError(.invalidArgument, "the handler for '\(kind)' consumes nothing")
            }
            if let derived = handler.consumedKinds.first(where: \.isCustom) {
                throw MarketStreamError(
                    .invalidArgument, "the handler for '\(kind)' consumes '\(derived)', which is not a built-in kind")
            }
            byKind[kind] = handler
        }
        self.handlers = byKind
    }

    /// The handler producing `kind`, if any.
    public subscript(kind: DataKind) -> (any DataTypeHandler)? { handlers[kind] }
}
