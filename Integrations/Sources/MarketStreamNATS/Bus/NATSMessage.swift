import CNATS

/// One message handed to a subscription's handler, valid only during the call.
///
/// The bytes are nats.c's own buffer: copy what you keep. A handler runs on one of nats.c's
/// delivery threads, never on Swift's cooperative pool; it must not block for long, since the
/// subscriptions that share its thread wait for it.
public struct NATSMessage: ~Copyable {
    let message: OpaquePointer
    /// The subscription it was delivered to.
    let subscription: OpaquePointer?

    init(message: OpaquePointer, subscription: OpaquePointer? = nil) {
        self.message = message
        self.subscription = subscription
    }

    /// Whether nats.c holds more messages for the same subscription, queued behind this one: they
    /// will be handed to the same handler next, on the same delivery thread.
    public var morePending: Bool {
        subscription.map { NATSSubscription.pendingMessages(of: $0) > 0 } ?? false
    }

    /// The payload.
    public var data: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: natsMsg_GetData(message), count: Int(natsMsg_GetDataLength(message)))
    }

    /// The subject it was published on.
    public var subject: String { String(cString: natsMsg_GetSubject(message)) }

    /// The subject's bytes, without copying.
    public var subjectBytes: UnsafeRawBufferPointer {
        let text = natsMsg_GetSubject(message)!
        return UnsafeRawBufferPointer(start: text, count: strlen(text))
    }

    /// Where to answer a request, if the message is one.
    public var reply: String? { natsMsg_GetReply(message).map { String(cString: $0) } }
}

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
