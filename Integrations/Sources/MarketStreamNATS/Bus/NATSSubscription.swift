import CNATS

/// One subscription to a subject; its handler runs until ``unsubscribe()`` or the connection
/// closes.
public final class NATSSubscription: Sendable {
    private let handle: Handle

    init(handle: OpaquePointer) { self.handle = Handle(pointer: handle) }

    /// Stops deliveries. Messages already queued for the handler may still be delivered.
    public func unsubscribe() {
        _ = natsSubscription_Unsubscribe(handle.pointer)
    }

    /// Messages nats.c dropped because the handler fell behind its pending limit (slow consumer).
    public var droppedMessages: Int64 {
        var dropped: Int64 = 0
        return natsSubscription_GetDropped(handle.pointer, &dropped) == NATS_OK ? dropped : 0
    }

    /// Messages nats.c holds for the handler, not yet handed to it.
    public var pendingMessages: Int { Self.pendingMessages(of: handle.pointer) }

    /// Messages nats.c holds for the handler of the subscription `pointer`, not yet handed to it.
    static func pendingMessages(of pointer: OpaquePointer) -> Int {
        var messages: Int32 = 0
        var bytes: Int32 = 0
        return natsSubscription_GetPending(pointer, &messages, &bytes) == NATS_OK ? Int(messages) : 0
    }

    deinit { natsSubscription_Destroy(handle.pointer) }
}

/// A nats.c object pointer; nats.c's objects are safe to use from any thread.
struct Handle: @unchecked Sendable {
    let pointer: OpaquePointer
}

/// The Swift closure a nats.c subscription calls, retained while the subscription lives.
final class MessageHandlerBox: Sendable {
    let handler: @Sendable (borrowing NATSMessage) -> Void

    init(_ handler: @escaping @Sendable (borrowing NATSMessage) -> Void) { self.handler = handler }
}
