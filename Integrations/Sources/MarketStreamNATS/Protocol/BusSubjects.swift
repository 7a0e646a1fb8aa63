import Foundation
import MarketStreamCore

/// The subjects of one venue on the bus.
///
/// - Data: `ms.v1.<venue>.<kind>.<market>`, for example `ms.v1.upbit.ticker.KRW-BTC` or
///   `ms.v1.upbit.candle_1m.KRW-ETH`. A book is published at the depth the gateway receives, on
///   `ms.v1.<venue>.orderbook.<market>`, and each subscriber's router cuts it to the depth it asked for.
/// - Control: `ms.v1.ctl.<venue>.demand` (leases) and `ms.v1.ctl.<venue>.snapshot`.
/// - Status: `ms.v1.status.<venue>`, the gateway's heartbeat.
/// - A client's inbox for late joiners' snapshots: `ms.v1.inbox.<venue>.<client>`.
///
/// Control sits outside `ms.v1.<venue>.>`, so a stream that records a venue's data never holds it.
public struct BusSubjects: Sendable, Hashable {
    /// The venue's token (the exchange id).
    public let venue: String

    /// The subjects of `exchange`.
    /// - Throws: ``BusProtocolError/malformedSubject(_:)`` when the id cannot be a subject token.
    public init(exchange: ExchangeID) throws(BusProtocolError) {
        guard Self.isToken(exchange.rawValue) else { throw .malformedSubject(exchange.rawValue) }
        venue = exchange.rawValue
    }

    /// Where remote processes send their demand leases.
    public var demand: String { "ms.v1.ctl.\(venue).demand" }
    /// Where remote processes ask for the last frame of topics again (after a sequence gap).
    public var snapshot: String { "ms.v1.ctl.\(venue).snapshot" }
    /// Where the gateway beats once a second.
    public var status: String { "ms.v1.status.\(venue)" }
    /// Every data subject of the venue.
    public var allData: String { "ms.v1.\(venue).>" }

    /// The inbox where `client` receives snapshots of the topics it just joined.
    public func inbox(of client: String) -> String { "ms.v1.inbox.\(venue).\(client)" }

    /// The data subject carrying `topic`, or `nil` for a topic no subject can carry (a book
    /// grouped by price level, a kind or market with characters a subject cannot hold).
    public func data(for topic: SubscriptionTopic) -> String? {
        guard let kind = Self.kindToken(topic.kind), Self.isToken(topic.market.rawValue) else { return nil }
        return "ms.v1.\(venue).\(kind).\(topic.market.rawValue)"
    }

    /// The subject token of a kind: its family with `.` as `_` (`candle.1m` is `candle_1m`); every
    /// book depth shares `orderbook`.
    public static func kindToken(_ kind: DataKind) -> String? {
        guard kind.orderbookLevel == nil else { return nil }
        let token = kind.family.replacingOccurrences(of: ".", with: "_")
        return isToken(token) ? token : nil
    }

    /// Whether `text` is one subject token: 1–64 bytes of letters, digits, `-` and `_`.
    public static func isToken(_ text: String) -> Bool {
        (1...64).contains(text.utf8.count)
            && text.utf8.allSatisfy { byte in
                switch byte {
                case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                    UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"):
                    true
                default: false
                }
            }
    }
}
