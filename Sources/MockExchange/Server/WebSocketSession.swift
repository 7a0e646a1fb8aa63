import CoreMetrics
import DequeModule
import HummingbirdWebSocket
import Logging
import MarketStreamCore
import NIOCore
import NIOWebSocket
import Synchronization

/// Runs one upgraded WebSocket connection of either dialect: a writer draining the connection's
/// outbound queue, a reader handing messages to the dialect, and the keepalive/idle timer.
struct WebSocketSession {
    let core: MockExchangeCore
    let channel: any Channel

    /// Runs until either side closes.
    /// - Parameters:
    ///   - outboundFrames: The dialect's outbound queue.
    ///   - inbound: Frames from the client.
    ///   - outbound: Writes to the client.
    ///   - statusSource: Whether the client asked for `{"status":"UP"}` (Upbit's text `PING`).
    ///   - serverPings: How often the server pings (Binance); `nil` for never (Upbit).
    ///   - lifetime: How long the connection may stay open before the server closes it; `nil` for ever.
    ///   - receive: The dialect's handler of one text message, with the time it arrived.
    func run(
        outboundFrames: OutboundQueue, inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter,
        statusSource: (@Sendable () -> Bool)?, serverPings: Duration? = nil, lifetime: Duration? = nil,
        receive: @escaping @Sendable (String, Duration) -> Void
    ) async throws {
        let lastActivity = LastActivity(core.elapsed())
        let markActive: @Sendable () -> Void = { [core] in lastActivity.mark(core.elapsed()) }
        let arrivals = ArrivalTimes()
        await ActivityObserver.install(
            on: channel, onActivity: markActive, onMessage: { [core] in arrivals.record(core.elapsed()) })
        let core = self.core
        let channel = self.channel
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                // Data frames of a batch are framed into one buffer and written with one write and
                // one flush; other frames go through the WebSocket layer, in order.
                var encoded = ByteBuffer()
                while let batch = await outboundFrames.nextBatch() {
                    core.metrics.framesWritten.increment(by: batch.count)
                    for frame in batch {
                        switch frame {
                        case .binary(let buffer):
                            if let delay = core.faults.slowDelay {
                                try await Self.sendEncoded(&encoded, on: channel)
                                try await Task.sleep(for: delay)
                            }
                            Self.appendBinaryFrame(buffer, to: &encoded)
                        case .text(let text):
                            try await Self.sendEncoded(&encoded, on: channel)
                            try await Self.send(
                                NIOWebSocket.WebSocketFrame(fin: true, opcode: .text, data: ByteBuffer(string: text)),
                                on: channel)
                        case .close(let delay):
                            try await Self.sendEncoded(&encoded, on: channel)
                            try await Task.sleep(for: delay)
                            try await outbound.close(.normalClosure, reason: nil)
                            return
                        case .drop:
                            try await Self.sendEncoded(&encoded, on: channel)
                            channel.close(promise: nil)
                            return
                        }
                    }
                    try await Self.sendEncoded(&encoded, on: channel)
                    markActive()
                }
            }
            group.addTask {
                for try await message in inbound.messages(maxSize: 1 << 20) {
                    markActive()
                    switch message {
                    case .text(let text): receive(text, arrivals.next() ?? core.elapsed())
                    case .binary(let buffer): receive(String(buffer: buffer), arrivals.next() ?? core.elapsed())
                    }
                }
            }
            group.addTask {
                let configuration = core.configuration
                var sinceStatus = Duration.zero
                let tick = min(Duration.seconds(1), configuration.statusInterval)
                while true {
                    try await Task.sleep(for: tick)
                    sinceStatus += tick
                    if let statusSource, statusSource(), sinceStatus >= configuration.statusInterval {
                        sinceStatus = .zero
                        try await outbound.write(.binary(ByteBuffer(string: "{\"status\":\"UP\"}")))
                    }
                    if core.elapsed() - lastActivity.value >= configuration.idleTimeout {
                        // Upbit drops idle sockets without a close frame (1006).
                        channel.close(promise: nil)
                        return
                    }
                }
            }
            if let serverPings {
                group.addTask {
                    while true {
                        try await Task.sleep(for: serverPings)
                        try await Self.send(
                            NIOWebSocket.WebSocketFrame(fin: true, opcode: .ping, data: ByteBuffer(string: "mock")),
                            on: channel)
                    }
                }
            }
            if let lifetime {
                group.addTask {
                    try await Task.sleep(for: lifetime)
                    // Binance ends a connection at its 24-hour mark with a close frame.
                    try await outbound.close(.goingAway, reason: "connection lifetime reached")
                }
            }
            defer { group.cancelAll() }
            try await group.next()
        }
    }
}

extension WebSocketSession {
    /// Appends one unmasked, final binary frame (RFC 6455 §5.2: server frames are not masked).
    static func appendBinaryFrame(_ payload: ByteBuffer, to buffer: inout ByteBuffer) {
        let length = payload.readableBytes
        buffer.writeInteger(UInt8(0x82))  // FIN + binary
        if length < 126 {
            buffer.writeInteger(UInt8(length))
        } else if length <= Int(UInt16.max) {
            buffer.writeInteger(UInt8(126))
            buffer.writeInteger(UInt16(length))
        } else {
            buffer.writeInteger(UInt8(127))
            buffer.writeInteger(UInt64(length))
        }
        var payload = payload
        buffer.writeBuffer(&payload)
    }

    /// Writes already-framed bytes below the WebSocket frame encoder with one hop to the event
    /// loop, one write and one flush, waits until they are written (so a slow client holds back
    /// its own writer, never the exchange's memory), and empties `encoded`.
    static func sendEncoded(_ encoded: inout ByteBuffer, on channel: any Channel) async throws {
        guard encoded.readableBytes > 0 else { return }
        let bytes = encoded
        encoded = ByteBuffer()
        let promise = channel.eventLoop.makePromise(of: Void.self)
        channel.eventLoop.execute {
            do {
                let encoder = try channel.pipeline.syncOperations.context(handlerType: WebSocketFrameEncoder.self)
                encoder.writeAndFlush(NIOAny(bytes), promise: promise)
            } catch {
                promise.fail(error)
            }
        }
        try await promise.futureResult.get()
    }

    /// Writes one frame through the WebSocket layer and waits until it is written.
    static func send(_ frame: NIOWebSocket.WebSocketFrame, on channel: any Channel) async throws {
        let promise = channel.eventLoop.makePromise(of: Void.self)
        channel.eventLoop.execute { channel.writeAndFlush(frame, promise: promise) }
        try await promise.futureResult.get()
    }
}

/// When a connection last sent or received anything.
final class LastActivity: Sendable {
    private let nanoseconds: Atomic<Int64>

    init(_ now: Duration) { nanoseconds = Atomic(Self.nanoseconds(now)) }

    func mark(_ now: Duration) { nanoseconds.store(Self.nanoseconds(now), ordering: .relaxed) }

    var value: Duration { .nanoseconds(nanoseconds.load(ordering: .relaxed)) }

    private static func nanoseconds(_ duration: Duration) -> Int64 {
        duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000
    }
}

/// When each inbound message arrived, in order (written on the event loop, read by the session).
final class ArrivalTimes: Sendable {
    private let times = Mutex(Deque<Duration>())

    func record(_ time: Duration) { times.withLock { $0.append(time) } }

    func next() -> Duration? { times.withLock { $0.popFirst() } }
}
