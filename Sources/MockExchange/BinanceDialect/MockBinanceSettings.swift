/// How the mock exchange's Binance dialect behaves: Binance spot's documented limits by default,
/// each adjustable so a test can reach it in seconds.
public struct MockBinanceSettings: Sendable, Hashable {
    /// Incoming messages allowed per second on one connection before it is closed (Binance: 5).
    public var messagesPerSecond: Int
    /// Streams one connection may carry (Binance: 1 024); a subscription past it is refused.
    public var streamsPerConnection: Int
    /// How often the server pings (Binance: every 20 s).
    public var pingInterval: Duration
    /// How long a connection may stay open before the server closes it (Binance: 24 hours).
    public var connectionLifetime: Duration

    /// Creates settings; the defaults are Binance's.
    public init(
        messagesPerSecond: Int = 5, streamsPerConnection: Int = 1_024, pingInterval: Duration = .seconds(20),
        connectionLifetime: Duration = .seconds(24 * 3_600)
    ) {
        self.messagesPerSecond = messagesPerSecond
        self.streamsPerConnection = streamsPerConnection
        self.pingInterval = pingInterval
        self.connectionLifetime = connectionLifetime
    }
}
