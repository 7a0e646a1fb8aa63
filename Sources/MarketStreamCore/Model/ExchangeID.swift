/// Names an exchange module (`upbit`, `mock`, …).
///
/// Identifiers are open: an exchange module defines its own as a static member.
public struct ExchangeID: RawRepresentable, Hashable, Sendable, CustomStringConvertible,
    ExpressibleByStringLiteral
{
    public let rawValue: String

    /// Creates an identifier.
    /// - Parameter rawValue: The exchange's lower-case name.
    public init(rawValue: String) { self.rawValue = rawValue }

    /// Creates an identifier from a literal.
    public init(stringLiteral value: String) { self.rawValue = value }

    public var description: String { rawValue }
}

/// Names one WebSocket channel of an exchange, such as Upbit's `public` and `private` endpoints.
///
/// An exchange module keeps one supervised connection per channel.
public struct ChannelID: RawRepresentable, Hashable, Sendable, CustomStringConvertible, ExpressibleByStringLiteral {
    public let rawValue: String

    /// Creates an identifier.
    /// - Parameter rawValue: The channel's name.
    public init(rawValue: String) { self.rawValue = rawValue }

    /// Creates an identifier from a literal.
    public init(stringLiteral value: String) { self.rawValue = value }

    /// The channel carrying public market data.
    public static var `public`: Self { "public" }
    /// The channel carrying the account's own orders and balances.
    public static var `private`: Self { "private" }

    public var description: String { rawValue }
}
