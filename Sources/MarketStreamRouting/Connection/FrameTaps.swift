import MarketStreamCore

/// Several taps on one router, each shown everything in the order given: a gateway that publishes
/// frames and records them too.
public struct FrameTaps: FrameTap {
    /// The taps, in the order they are called.
    public let taps: [any FrameTap]

    /// Creates a tap that calls each of `taps` in turn.
    public init(_ taps: [any FrameTap]) { self.taps = taps }

    public func frameReceived(_ frame: WebSocketMessage, events: [MarketEvent], context: DecodeContext) {
        for tap in taps { tap.frameReceived(frame, events: events, context: context) }
    }

    public func frameForwarded(_ frame: WebSocketMessage, topic: SubscriptionTopic, context: DecodeContext) {
        for tap in taps { tap.frameForwarded(frame, topic: topic, context: context) }
    }

    public func connectionOpened(context: DecodeContext) {
        for tap in taps { tap.connectionOpened(context: context) }
    }

    public func messageSent(_ message: OutboundMessage, context: DecodeContext) {
        for tap in taps { tap.messageSent(message, context: context) }
    }

    public func connectionClosed(reason: String, context: DecodeContext) {
        for tap in taps { tap.connectionClosed(reason: reason, context: context) }
    }
}
