import CNATS
import NIOPosix
import Synchronization

/// One connection to a NATS server, through the official C client nats.c.
///
/// Subscriptions share nats.c's global delivery pool (one thread per subscription otherwise), and
/// their handlers run on its threads: call a synchronous, non-blocking path from them (the
/// router's `ConnectionHandler.receive`), never start a task per message. Calls that wait for the
/// server (connect, request, flush, close) run on a thread pool, never on Swift's cooperative pool.
public final class NATSConnection: Sendable {
    /// What happened to the connection.
    public enum Event: Sendable, Hashable {
        /// The socket to the server was lost.
        case disconnected
        /// nats.c reconnected on its own (only when reconnecting is allowed).
        case reconnected
        /// The connection is closed for good.
        case closed
        /// A subscription fell behind and nats.c dropped messages for it.
        case slowConsumer
        /// Any other asynchronous error nats.c reported.
        case error(String)
    }

    /// When what is published is written to the socket.
    public enum WriteMode: Sendable, Hashable {
        /// nats.c buffers, and its flusher thread writes about a millisecond after the first
        /// publish (many messages per write, a millisecond of latency).
        case buffered
        /// Each publish is written at once (a write per message).
        case immediate
        /// A publish is written at once when no write is under way; publishes that come during
        /// one go out together in the next (a write per round trip to the server under load,
        /// none held back when idle). A thread of the connection's own writes.
        case combined
    }

    /// How to connect.
    public struct Options: Sendable {
        /// The server, `nats://host:port`.
        public var url: String
        /// The name the server shows for this client.
        public var name: String
        /// Whether nats.c reconnects (and resubscribes) by itself. Off for a client whose owner
        /// supervises reconnects (the router); on for a publisher.
        public var reconnects: Bool
        /// Bytes nats.c buffers while reconnecting (stale market data is worse than a gap).
        public var reconnectBufferBytes: Int
        /// How long connecting may take.
        public var connectTimeout: Duration
        /// When publishes are written to the socket.
        public var writeMode: WriteMode

        /// Creates options.
        public init(
            url: String, name: String, reconnects: Bool = false, reconnectBufferBytes: Int = 256 * 1024,
            connectTimeout: Duration = .seconds(2), writeMode: WriteMode = .buffered
        ) {
            self.url = url
            self.name = name
            self.reconnects = reconnects
            self.reconnectBufferBytes = reconnectBufferBytes
            self.connectTimeout = connectTimeout
            self.writeMode = writeMode
        }

        /// What a gateway's bus uses: nats.c reconnects on its own (the gateway has no supervisor
        /// above it), and each frame is written as it is published, not a millisecond later.
        /// - Parameters:
        ///   - url: The server, `nats://host:port`.
        ///   - name: The name the server shows (the gateway's id).
        ///   - writeMode: `.immediate` (the lowest latency) or `.combined` (more frames per second
        ///     under load, at about twice the median latency: the `GatewayBenchmark` figures).
        public static func gateway(url: String, name: String, writeMode: WriteMode = .immediate) -> Options {
            Options(url: url, name: name, reconnects: true, writeMode: writeMode)
        }
    }

    let handle: Handle
    let threadPool: NIOThreadPool
    private let isClosed = Atomic<Bool>(false)
    /// Writes the buffer, for ``WriteMode/combined``.
    private let combiner: NATSWriteCombiner?

    private init(handle: OpaquePointer, threadPool: NIOThreadPool, writeMode: WriteMode) {
        self.handle = Handle(pointer: handle)
        self.threadPool = threadPool
        combiner = writeMode == .combined ? NATSWriteCombiner(connection: Handle(pointer: handle)) : nil
    }

    /// Writes so far by the connection's own writing thread (``WriteMode/combined``; 0 otherwise).
    public var combinedWrites: Int { combiner?.writeCount ?? 0 }

    /// Connects.
    /// - Parameters:
    ///   - options: Where and how.
    ///   - threadPool: Where the blocking connect runs.
    ///   - onEvent: Called (on a nats.c thread) when the connection is lost, regained or closed, or
    ///     a subscription is a slow consumer.
    /// - Throws: ``NATSError`` when no server answers.
    public static func connect(
        _ options: Options, threadPool: NIOThreadPool = .singleton,
        onEvent: @escaping @Sendable (Event) -> Void = { _ in }
    ) async throws -> NATSConnection {
        NATSLibrary.configureOnce()
        let events = Unmanaged.passRetained(EventHandlerBox(onEvent))
        let handle: Handle
        do {
            handle = try await threadPool.runIfActive { () throws -> Handle in
                try connectBlocking(options, events: events.toOpaque())
            }
        } catch {
            events.release()
            throw error
        }
        return NATSConnection(handle: handle.pointer, threadPool: threadPool, writeMode: options.writeMode)
    }

    private static func connectBlocking(_ options: Options, events: UnsafeMutableRawPointer) throws(NATSError)
        -> Handle
    {
        var opts: OpaquePointer?
        try check(natsOptions_Create(&opts), "creating NATS options")
        guard let opts else { throw NATSError(.failed, "creating NATS options") }
        defer { natsOptions_Destroy(opts) }
        try check(natsOptions_SetURL(opts, options.url), "the NATS URL '\(options.url)'")
        try check(natsOptions_SetName(opts, options.name), "the client name")
        try check(natsOptions_SetAllowReconnect(opts, options.reconnects), "the reconnect option")
        try check(natsOptions_SetMaxReconnect(opts, -1), "the reconnect option")
        try check(natsOptions_SetReconnectWait(opts, 250), "the reconnect wait")
        try check(natsOptions_SetReconnectBufSize(opts, Int32(options.reconnectBufferBytes)), "the reconnect buffer")
        try check(natsOptions_SetTimeout(opts, options.connectTimeout.milliseconds), "the connect timeout")
        try check(natsOptions_SetNoEcho(opts, true), "the no-echo option")
        try check(natsOptions_SetSendAsap(opts, options.writeMode == .immediate), "the send-at-once option")
        try check(natsOptions_UseGlobalMessageDelivery(opts, true), "the global delivery pool")
        try check(
            natsOptions_SetDisconnectedCB(opts, { _, box in EventHandlerBox.send(.disconnected, box) }, events),
            "the disconnect callback")
        try check(
            natsOptions_SetReconnectedCB(opts, { _, box in EventHandlerBox.send(.reconnected, box) }, events),
            "the reconnect callback")
        try check(
            natsOptions_SetClosedCB(
                opts,
                { _, box in
                    EventHandlerBox.send(.closed, box)
                    if let box { Unmanaged<EventHandlerBox>.fromOpaque(box).release() }
                }, events), "the close callback")
        try check(
            natsOptions_SetErrorHandler(
                opts,
                { _, _, status, box in
                    let event: Event =
                        status == NATS_SLOW_CONSUMER
                        ? .slowConsumer : .error(String(cString: natsStatus_GetText(status)))
                    EventHandlerBox.send(event, box)
                }, events), "the error callback")
        var connection: OpaquePointer?
        try check(natsConnection_Connect(&connection, opts), "connecting to \(options.url)")
        guard let connection else { throw NATSError(.connectionClosed, "connecting to \(options.url)") }
        return Handle(pointer: connection)
    }

    /// Bytes published and not yet written to the socket (0 right after a publish with
    /// ``WriteMode/immediate``).
    public var bufferedBytes: Int { Int(natsConnection_Buffered(handle.pointer)) }

    /// Publishes `bytes` on `subject`; buffered, so it returns without waiting for the server.
    /// - Throws: ``NATSError`` when the connection is closed.
    public func publish(_ subject: String, bytes: UnsafeRawBufferPointer, reply: String? = nil) throws(NATSError) {
        let status =
            if let reply {
                natsConnection_PublishRequest(handle.pointer, subject, reply, bytes.baseAddress, Int32(bytes.count))
            } else {
                natsConnection_Publish(handle.pointer, subject, bytes.baseAddress, Int32(bytes.count))
            }
        try check(status, "publishing on \(subject)")
        combiner?.published()
    }

    /// Publishes `bytes` on `subject`.
    public func publish(_ subject: String, _ bytes: [UInt8]) throws(NATSError) {
        let status = bytes.withUnsafeBytes { raw in
            natsConnection_Publish(handle.pointer, subject, raw.baseAddress, Int32(raw.count))
        }
        try check(status, "publishing on \(subject)")
        combiner?.published()
    }

    /// Subscribes to `subject` (wildcards allowed).
    /// - Parameters:
    ///   - subject: The subject.
    ///   - pendingLimit: Messages nats.c queues for the handler before it drops (slow consumer).
    ///   - handler: Runs on a nats.c delivery thread for each message, in order; must not block.
    /// - Returns: The subscription; it lasts until unsubscribed or the connection closes.
    public func subscribe(
        _ subject: String, pendingLimit: Int = 65_536, handler: @escaping @Sendable (borrowing NATSMessage) -> Void
    ) throws(NATSError) -> NATSSubscription {
        let box = Unmanaged.passRetained(MessageHandlerBox(handler))
        var subscription: OpaquePointer?
        let status = natsConnection_Subscribe(
            &subscription, handle.pointer, subject,
            { _, subscription, message, closure in
                guard let message else { return }
                if let closure {
                    Unmanaged<MessageHandlerBox>.fromOpaque(closure).takeUnretainedValue().handler(
                        NATSMessage(message: message, subscription: subscription))
                }
                // Freed here rather than by nats.c's collector thread, which `natsMsg_Destroy`
                // would wake for each message (see the CNATS shim).
                natsMsg_free(UnsafeMutableRawPointer(message))
            }, box.toOpaque())
        guard status == NATS_OK, let subscription else {
            box.release()
            throw NATSError(status: status, "subscribing to \(subject)")
        }
        // Released once no handler can run any more.
        let completion = natsSubscription_SetOnCompleteCB(
            subscription, { closure in closure.map { Unmanaged<MessageHandlerBox>.fromOpaque($0).release() } },
            box.toOpaque())
        if completion != NATS_OK { box.release() }
        _ = natsSubscription_SetPendingLimits(subscription, Int32(pendingLimit), 256 * 1024 * 1024)
        return NATSSubscription(handle: subscription)
    }

    /// Sends a request and waits for its reply, on the thread pool.
    /// - Returns: The reply's payload.
    /// - Throws: ``NATSError``: `.noResponders` when nobody serves `subject`, `.timeout`.
    public func request(_ subject: String, _ bytes: [UInt8], timeout: Duration) async throws -> [UInt8] {
        let handle = self.handle
        return try await threadPool.runIfActive { () throws -> [UInt8] in
            var reply: OpaquePointer?
            let status = bytes.withUnsafeBytes { raw in
                natsConnection_Request(
                    &reply, handle.pointer, subject, raw.baseAddress, Int32(raw.count), timeout.milliseconds)
            }
            try check(status, "requesting on \(subject)")
            guard let reply else { throw NATSError(.failed, "an empty reply on \(subject)") }
            defer { natsMsg_Destroy(reply) }
            return Array(NATSMessage(message: reply).data)
        }
    }

    /// Waits until the server has processed everything published so far.
    public func flush(timeout: Duration = .seconds(2)) async throws {
        let handle = self.handle
        try await threadPool.runIfActive { () throws in
            try check(natsConnection_FlushTimeout(handle.pointer, timeout.milliseconds), "flushing")
        }
    }

    /// Closes the connection: subscriptions end after their running handlers return.
    public func close() async {
        guard !isClosed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        let handle = self.handle
        let combiner = self.combiner
        try? await threadPool.runIfActive {
            natsConnection_Close(handle.pointer)
            combiner?.stop()
        }
    }

    deinit {
        if !isClosed.load(ordering: .acquiring) { natsConnection_Close(handle.pointer) }
        combiner?.stop()
        natsConnection_Destroy(handle.pointer)
    }
}

/// The connection's event closure, retained until nats.c reports the connection closed.
final class EventHandlerBox: Sendable {
    let onEvent: @Sendable (NATSConnection.Event) -> Void

    init(_ onEvent: @escaping @Sendable (NATSConnection.Event) -> Void) { self.onEvent = onEvent }

    static func send(_ event: NATSConnection.Event, _ box: UnsafeMutableRawPointer?) {
        guard let box else { return }
        Unmanaged<EventHandlerBox>.fromOpaque(box).takeUnretainedValue().onEvent(event)
    }
}

/// nats.c's process-wide settings, applied before the first connection.
enum NATSLibrary {
    private static let configured = Atomic<Bool>(false)

    /// Sizes the global delivery pool (nats.c starts a thread per subscription without it) to one
    /// thread: a connection's subjects are then delivered one message at a time, as a socket's
    /// frames are, and the router's read path never contends for its lock (two threads measured
    /// slower: they spent their time waking each other).
    static func configureOnce() {
        guard !configured.exchange(true, ordering: .acquiringAndReleasing) else { return }
        _ = nats_SetMessageDeliveryPoolSize(1)
    }
}

extension Duration {
    /// Whole milliseconds, at least 1.
    var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return max(1, seconds * 1_000 + attoseconds / 1_000_000_000_000_000)
    }
}
