import DequeModule
import MarketStreamCore
import NIOCore
import Synchronization

/// A replay's records, read ahead on a task of their own: blocks are decompressed, frames made
/// into messages and, when the venue decodes each frame on its own
/// (``AbstractWebSocketManager/decodesFramesIndependently``), decoded, while ``ReplayExchange``
/// hands the previous chunk to the router. Decoding is most of a replay's work; this puts it on
/// the second core.
///
/// A frame is decoded ahead with the context the router decodes the current connection's frames
/// with, learned from the router's own decode calls (``learn(_:connection:)``); until it is
/// known (the first frames of each connection) frames are left to the router. What was decoded
/// ahead is used only when the router's context for the frame turns out the same
/// (``DecodedAhead/matches(_:context:)``), so a replay decodes exactly as the router would.
final class ReplayReadAhead: Sendable {
    /// A frame decoded ahead, and the context it was decoded with.
    struct DecodedAhead: Sendable {
        let context: DecodeContext
        /// What it decoded to, in its chunk's ``Chunk/events`` and ``Chunk/controls``, or why it
        /// could not be decoded.
        let result: Result<(events: Range<Int>, controls: Range<Int>), MarketStreamError>
        /// Where the message's bytes are: the frame handed to the router is this one, not a copy.
        let address: UInt

        /// Where `frame`'s bytes are.
        static func address(of frame: WebSocketMessage) -> UInt {
            frame.withUnsafeBytes { UInt(bitPattern: $0.baseAddress) }
        }

        /// Whether the router's `frame` with its `context` is the one decoded here, as it was.
        func matches(_ frame: WebSocketMessage, context: DecodeContext) -> Bool {
            context.generation == self.context.generation && context.connection == self.context.connection
                && context.receivedAt == self.context.receivedAt && context.channel == self.context.channel
                && context.exchange == self.context.exchange
                && Self.address(of: frame) == address
        }
    }

    /// One record as read ahead.
    struct Entry: Sendable {
        var record: Record
        /// A frame's message, made once.
        var message: WebSocketMessage?
        /// A frame's decode, when it was decoded ahead.
        var decoded: DecodedAhead?
    }

    /// Records in order, with the messages and decodes of their frames.
    struct Chunk: Sendable {
        var entries: [Entry] = []
        /// The events of the frames decoded ahead, one after another.
        var events: [MarketEvent] = []
        var controls: [ControlMessage] = []
    }

    private struct State: Sendable {
        var cursor: RecordCursor?
        var chunks: Deque<Chunk> = []
        var finished = false
        var closed = false
        var started = false
        var reader: CheckedContinuation<Void, Never>?
        var producer: CheckedContinuation<Void, Never>?
        var issues: [RecordingError] = []
    }

    /// The context of the router's decode calls, and which connection of the recording (counted
    /// in connection events from its start) they were for.
    private struct Learned: Sendable {
        var connection: Int
        var context: DecodeContext
    }

    /// Records per chunk.
    static let chunkSize = 256
    /// Chunks read ahead at most.
    static let chunksAhead = 4

    private let venue: any AbstractWebSocketManager
    private let state: Mutex<State>
    private let learned = Mutex<Learned?>(nil)

    /// Reads `cursor`'s records ahead for `venue`'s decoder.
    init(cursor: RecordCursor, venue: any AbstractWebSocketManager) {
        self.venue = venue
        state = Mutex(State(cursor: cursor))
    }

    /// Blocks that could not be read and were skipped, so far.
    var issues: [RecordingError] { state.withLock { $0.issues } }

    /// Notes the context the router decoded a frame of the recording's `connection`-th connection
    /// with: the frames after it are decoded ahead with it.
    func learn(_ context: DecodeContext, connection: Int) {
        learned.withLock { $0 = Learned(connection: connection, context: context) }
    }

    /// The next chunk of records, `nil` once they are all read (starting the reading task on the
    /// first call).
    func next() async -> Chunk? {
        let start = state.withLock { state -> Bool in
            defer { state.started = true }
            return !state.started
        }
        if start { Task.detached { [self] in await produce() } }
        while true {
            enum Step {
                case chunk(Chunk)
                case end
                case wait
            }
            let (step, producer) = state.withLock { state -> (Step, CheckedContinuation<Void, Never>?) in
                if let chunk = state.chunks.popFirst() {
                    defer { state.producer = nil }
                    return (.chunk(chunk), state.producer)
                }
                return (state.finished || state.closed ? .end : .wait, nil)
            }
            producer?.resume()
            switch step {
            case .chunk(let chunk): return chunk
            case .end: return nil
            case .wait:
                await withCheckedContinuation { continuation in
                    let ready = state.withLock { state -> Bool in
                        if !state.chunks.isEmpty || state.finished || state.closed { return true }
                        state.reader = continuation
                        return false
                    }
                    if ready { continuation.resume() }
                }
            }
        }
    }

    /// Stops reading ahead (the replay went away).
    func close() {
        let waiters = state.withLock { state in
            state.closed = true
            defer {
                state.reader = nil
                state.producer = nil
            }
            return [state.reader, state.producer]
        }
        for waiter in waiters { waiter?.resume() }
    }

    /// Reads chunks until the records end or the replay goes away, waiting while
    /// ``chunksAhead`` are unread.
    private func produce() async {
        guard
            var cursor = state.withLock({ state in
                defer { state.cursor = nil }; return state.cursor
            })
        else { return }
        var connection = 0
        let decodesAhead = venue.decodesFramesIndependently
        var output = DecodedFrame()
        var records: [Record] = []
        while true {
            records.removeAll(keepingCapacity: true)
            while records.count < Self.chunkSize, let record = cursor.peek() {
                cursor.advance()
                records.append(record)
            }
            // The chunk's frames share one buffer, each message a slice of it: one allocation
            // (written whole before it is sliced, so no write copies it).
            var bytes = ByteBuffer()
            bytes.reserveCapacity(records.reduce(0) { $0 + ($1.kind == .frame ? $1.bytes.count : 0) })
            for record in records where record.kind == .frame { bytes.writeBytes(record.bytes) }
            var offset = 0
            var chunk = Chunk()
            chunk.entries.reserveCapacity(records.count)
            let known = decodesAhead ? learned.withLock { $0 } : nil
            for record in records {
                var entry = Entry(record: record)
                switch record.kind {
                case .connected, .disconnected:
                    connection += 1
                case .frame:
                    let message = WebSocketMessage(
                        opcode: record.flags.contains(.text) ? .text : .binary,
                        bytes: bytes.getSlice(at: offset, length: record.bytes.count) ?? ByteBuffer())
                    offset += record.bytes.count
                    entry.message = message
                    if let known, known.connection == connection {
                        var context = known.context
                        context.receivedAt = record.receivedAt
                        output.removeAll()
                        let result: Result<(events: Range<Int>, controls: Range<Int>), MarketStreamError>
                        do {
                            try venue.decode(message, context: context, into: &output)
                            let events = chunk.events.count..<(chunk.events.count + output.events.count)
                            let controls = chunk.controls.count..<(chunk.controls.count + output.controls.count)
                            chunk.events.append(contentsOf: output.events)
                            chunk.controls.append(contentsOf: output.controls)
                            result = .success((events, controls))
                        } catch {
                            result = .failure(error)
                        }
                        entry.decoded = DecodedAhead(
                            context: context, result: result, address: DecodedAhead.address(of: message))
                    }
                case .sent, .marker:
                    break
                }
                chunk.entries.append(entry)
            }
            let issues = cursor.issues
            let isLast = records.count < Self.chunkSize
            let reader = state.withLock { state -> CheckedContinuation<Void, Never>? in
                state.issues = issues
                if !chunk.entries.isEmpty { state.chunks.append(chunk) }
                if isLast { state.finished = true }
                defer { state.reader = nil }
                return state.reader
            }
            reader?.resume()
            if isLast { return }
            await withCheckedContinuation { continuation in
                let goOn = state.withLock { state -> Bool in
                    if state.closed || state.chunks.count < Self.chunksAhead { return true }
                    state.producer = continuation
                    return false
                }
                if goOn { continuation.resume() }
            }
            if state.withLock({ $0.closed }) { return }
        }
    }
}
