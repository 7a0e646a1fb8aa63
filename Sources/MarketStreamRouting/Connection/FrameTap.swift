import MarketStreamCore

/// Sees every frame a channel's active connection received, exactly as the exchange sent it, and
/// (for a recorder) the connection's life: when it opened, what was sent on it, and why it closed.
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
    /// Takes one frame.
    /// - Parameters:
    ///   - frame: The frame as received. Its bytes are valid only during the call: copy what you keep.
    ///   - events: What the frame decoded into, stamped with `context`; empty for a control frame,
    ///     a frame that did not decode, or one a forwarding router passed on undecoded (through
    ///     the default ``frameForwarded(_:topic:context:)``).
    ///   - context: The channel, connection generation and receive time.
    func frameReceived(_ frame: WebSocketMessage, events: [MarketEvent], context: DecodeContext)

    /// Takes one data frame that a router forwarding frames only
    /// (``RouterConfiguration/forwardsFramesOnly``) did not decode: only its topic is known.
    /// Same threading and lifetime as ``frameReceived(_:events:context:)``.
    /// - Parameters:
    ///   - frame: The frame as received. Its bytes are valid only during the call.
    ///   - topic: The one topic the frame carries
    ///     (``AbstractWebSocketManager/forwardedTopic(of:exchange:)``).
    ///   - context: The channel, connection generation and receive time.
    func frameForwarded(_ frame: WebSocketMessage, topic: SubscriptionTopic, context: DecodeContext)

    /// A connection of the channel opened (not a planned rotation's replacement, which keeps the
    /// generation and is seen once it takes over). `context.receivedAt` is when.
    func connectionOpened(context: DecodeContext)

    /// A subscription (or audit) message is going out on the channel's active connection (called
    /// just before it is sent, so nothing the venue answers to it is seen before it).
    func messageSent(_ message: OutboundMessage, context: DecodeContext)

    /// A connection that had opened ended; `reason` says why, without secrets.
    func connectionClosed(reason: String, context: DecodeContext)
}

extension FrameTap {
    /// Takes the frame as one whose events are not known (``frameReceived(_:events:context:)``
    /// with none): for taps that keep frames, not events.
    public func frameForwarded(_ frame: WebSocketMessage, topic: SubscriptionTopic, context: DecodeContext) {
        frameReceived(frame, events: [], context: context)
    }

    /// Ignores the opening: for taps that follow frames only.
    public func connectionOpened(context: DecodeContext) {}
    /// Ignores the message: for taps that follow frames only.
    public func messageSent(_ message: OutboundMessage, context: DecodeContext) {}
    /// Ignores the closing: for taps that follow frames only.
    public func connectionClosed(reason: String, context: DecodeContext) {}
}
