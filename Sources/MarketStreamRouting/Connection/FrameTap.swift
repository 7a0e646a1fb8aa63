import MarketStreamCore

/// Sees every frame a channel's active connection decoded, exactly as the exchange sent it.
///
/// A tap is how a process passes a venue's data on without re-encoding it: a gateway that
/// publishes each frame to other processes, or a recorder. Give it to
/// ``MarketDataRouter/init(managers:handlers:configuration:clock:wallClock:random:frameTap:logger:metricsFactory:)``.
///
/// ## Threading
/// ``frameReceived(_:events:context:)`` runs on the connection's read path, after the frame's
/// events were routed to the router's own subscribers, one frame at a time per connection. It must
/// not block: hand the bytes to something asynchronous (a buffered publish, a queue) and return.
public protocol FrameTap: Sendable {
    /// Takes one decoded frame.
    /// - Parameters:
    ///   - frame: The frame as received. Its bytes are valid only during the call: copy what you keep.
    ///   - events: What the frame decoded into, stamped with `context`; empty for a control frame.
    ///   - context: The channel, connection generation and receive time.
    func frameReceived(_ frame: WebSocketMessage, events: [MarketEvent], context: DecodeContext)
}
