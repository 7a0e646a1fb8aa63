import Foundation
import MarketStreamCore
import NIOCore
import Synchronization

/// A replay's records, read ahead by tasks of their own: blocks are decompressed, frames made
/// into messages and, when the venue decodes each frame on its own
/// (``AbstractWebSocketManager/decodesFramesIndependently``), decoded, while ``ReplayExchange``
/// hands earlier chunks to the router. Decoding is most of a replay's work: two tasks decode
/// chunks at once, on both cores, and the chunks are handed over in order.
///
/// A frame is decoded ahead with the context the router decodes its connection's frames with,
/// learned from the router's own decode calls (``learn(_:shard:connection:)``), for each shard of
/// the channel; until it is known (the first frames of each connection) frames are left to the
/// router. What was decoded ahead is used only when the router's context for the frame turns out
/// the same (``DecodedAhead/matches(_:context:)``), so a replay decodes exactly as the router
/// would.
final class ReplayReadAhead: Sendable {
    /// A frame decoded ahead, and the context it was decoded with.
    struct DecodedAhead: Sendable {
        let context: DecodeContext
        /// What it decoded to (the ranges of its events and controls in its chunk's
        /// ``Chunk/decoded``), or why it could not be decoded.
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
        /// Which of the recording's connections it belongs to: the number of its shard's latest
        /// connection event, connection events of every shard counted from the start.
        var connection: Int
        /// A frame's message, made once.
        var message: WebSocketMessage?
        /// A frame's decode, when it was decoded ahead.
        var decoded: DecodedAhead?

        /// A frame record as the router takes it.
        var received: ReceivedFrame { ReceivedFrame(message ?? record.message, receivedAt: record.receivedAt) }
    }

    /// Records in order, with the messages and decodes of their frames.
    struct Chunk: Sendable {
        var entries: [Entry] = []
        /// The events and control messages of the frames decoded ahead, one after another: each
        /// frame is decoded straight into them (``DecodedAhead`` says which are its own).
        var decoded = DecodedFrame()
    }

    /// The records and where the reading is: read by one task at a time, under a lock of its own,
    /// so that a block decompressed there never holds up the hand-over.
    private struct Reading: Sendable {
        var cursor: RecordCursor
        /// Connection events read so far.
        var connectionEvents = 0
        /// Each shard's latest connection event's number.
        var connections: [UInt8: Int] = [:]
        /// The number the next chunk read gets; chunks are handed over in this order.
        var nextSequence = 0
        var issues: [RecordingError] = []
    }

    /// The hand-over of chunks read to the replay, in order.
    private struct State: Sendable {
        /// Chunks whose reading has begun.
        var begun = 0
        /// The number of the next chunk to hand over.
        var nextToHand = 0
        /// Chunks read (and decoded), waiting to be handed over, by number.
        var ready: [Int: Chunk] = [:]
        /// Set once the records are all read: how many chunks there are.
        var chunkCount: Int?
        var closed = false
        var started = false
        var reader: CheckedContinuation<Void, Never>?
        /// Workers waiting for the replay to take a chunk.
        var producers: [CheckedContinuation<Void, Never>] = []

        /// Whether as many chunks as may be are read or being read and not yet handed over.
        var isFull: Bool { begun - nextToHand >= ReplayReadAhead.chunksAhead }

        /// Every task waiting (the replay and the workers), no longer waiting once resumed.
        mutating func takeWaiters() -> [CheckedContinuation<Void, Never>] {
            defer {
                reader = nil
                producers.removeAll()
            }
            return producers + [reader].compactMap { $0 }
        }
    }

    /// The context of the router's decode calls for a shard, and which connection of the
    /// recording (``Entry/connection``) they were for.
    private struct Learned: Sendable {
        var connection: Int
        var context: DecodeContext
    }

    /// Records per chunk.
    static let chunkSize = 256
    /// Chunks read ahead (or being read) at most.
    static let chunksAhead = 6

    private let venue: any AbstractWebSocketManager
    private let reading: Mutex<Reading>
    private let state = Mutex(State())
    /// By the recording's shard.
    private let learned = Mutex<[UInt8: Learned]>([:])
    /// How many tasks read and decode chunks at once.
    private let workers: Int

    /// Reads `cursor`'s records ahead for `venue`'s decoder.
    /// - Parameter workers: Tasks that read and decode chunks at once: one per core, up to two
    ///   (the router's read path needs the rest).
    init(
        cursor: RecordCursor, venue: any AbstractWebSocketManager,
        workers: Int = min(2, max(1, ProcessInfo.processInfo.activeProcessorCount))
    ) {
        self.venue = venue
        self.workers = venue.decodesFramesIndependently ? max(1, workers) : 1
        reading = Mutex(Reading(cursor: cursor))
    }

    /// Blocks that could not be read and were skipped, so far.
    var issues: [RecordingError] { reading.withLock { $0.issues } }

    /// Notes the context the router decoded a frame of the recording's `connection` (of `shard`)
    /// with: the shard's frames after it are decoded ahead with it.
    func learn(_ context: DecodeContext, shard: UInt8, connection: Int) {
        learned.withLock { $0[shard] = Learned(connection: connection, context: context) }
    }

    /// The next chunk of records, in order; `nil` once they are all handed over (starting the
    /// reading tasks on the first call).
    func next() async -> Chunk? {
        let start = state.withLock { state -> Bool in
            defer { state.started = true }
            return !state.started
        }
        if start {
            for _ in 0..<workers { Task.detached { [self] in await produce() } }
        }
        while true {
            enum Step {
                case chunk(Chunk)
                case end
                case wait
            }
            let (step, producers) = state.withLock { state -> (Step, [CheckedContinuation<Void, Never>]) in
                if let chunk = state.ready.removeValue(forKey: state.nextToHand) {
                    state.nextToHand += 1
                    defer { state.producers.removeAll() }
                    return (.chunk(chunk), state.producers)
                }
                return (state.closed || state.chunkCount == state.nextToHand ? .end : .wait, [])
            }
            for producer in producers { producer.resume() }
            switch step {
            case .chunk(let chunk): return chunk
            case .end: return nil
            case .wait:
                await withCheckedContinuation { continuation in
                    let ready = state.withLock { state -> Bool in
                        if state.ready[state.nextToHand] != nil || state.closed || state.chunkCount == state.nextToHand
                        {
                            return true
                        }
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
            return state.takeWaiters()
        }
        for waiter in waiters { waiter.resume() }
    }

    /// What reading a chunk came to.
    private enum Read {
        /// The chunk's number: chunks are handed over in this order.
        case chunk(Int)
        /// The records are all read: there are this many chunks.
        case end(chunkCount: Int)
    }

    /// Reads the next chunk's records, with the connection each belongs to; then, with the
    /// records' lock let go, decompresses the block after the one being read, if nobody has: the
    /// other task reads its chunk meanwhile rather than waiting for the block under the lock.
    private func read(into entries: inout [Entry]) -> Read {
        let (read, upcoming) = reading.withLock { reading -> (Read, PreparedBlock?) in
            while entries.count < Self.chunkSize, let record = reading.cursor.peek() {
                reading.cursor.advance()
                if record.kind == .connected || record.kind == .disconnected {
                    reading.connectionEvents += 1
                    reading.connections[record.shard] = reading.connectionEvents
                }
                entries.append(Entry(record: record, connection: reading.connections[record.shard, default: 0]))
            }
            reading.issues = reading.cursor.issues
            guard !entries.isEmpty else { return (.end(chunkCount: reading.nextSequence), nil) }
            defer { reading.nextSequence += 1 }
            return (.chunk(reading.nextSequence), reading.cursor.upcoming)
        }
        upcoming?.prepare()
        return read
    }

    /// Reads and decodes chunks until the records end or the replay goes away, waiting while
    /// ``chunksAhead`` are read and not handed over.
    private func produce() async {
        while true {
            guard await reserve() else { return }
            var entries: [Entry] = []
            entries.reserveCapacity(Self.chunkSize)
            switch read(into: &entries) {
            case .end(let chunkCount):
                // The end: wake the replay in case it waits for it, and the other workers.
                let waiters = state.withLock { state in
                    state.chunkCount = chunkCount
                    return state.takeWaiters()
                }
                for waiter in waiters { waiter.resume() }
                return
            case .chunk(let sequence):
                let chunk = decode(entries)
                let reader = state.withLock { state -> CheckedContinuation<Void, Never>? in
                    state.ready[sequence] = chunk
                    guard sequence == state.nextToHand else { return nil }
                    defer { state.reader = nil }
                    return state.reader
                }
                reader?.resume()
            }
        }
    }

    /// Waits until fewer than ``chunksAhead`` chunks are read or being read and not handed over,
    /// then counts one more as begun.
    /// - Returns: `false` once the records are all read or the replay went away.
    private func reserve() async -> Bool {
        while true {
            let begun = state.withLock { state -> Bool? in
                if state.closed || state.chunkCount != nil { return false }
                if state.isFull { return nil }
                state.begun += 1
                return true
            }
            if let begun { return begun }
            await withCheckedContinuation { continuation in
                let goOn = state.withLock { state -> Bool in
                    if state.closed || state.chunkCount != nil || !state.isFull { return true }
                    state.producers.append(continuation)
                    return false
                }
                if goOn { continuation.resume() }
            }
        }
    }

    /// Makes a chunk of `entries`: their frames' messages, sliced from one buffer, and, when the
    /// router's context for their connection is known, their decodes.
    private func decode(_ entries: consuming [Entry]) -> Chunk {
        var chunk = Chunk(entries: entries)
        // The chunk's frames share one buffer, each message a slice of it: one allocation
        // (written whole before it is sliced, so no write copies it).
        var bytes = ByteBuffer()
        var size = 0
        for index in chunk.entries.indices where chunk.entries[index].record.kind == .frame {
            size += chunk.entries[index].record.bytes.count
        }
        bytes.reserveCapacity(size)
        for index in chunk.entries.indices where chunk.entries[index].record.kind == .frame {
            bytes.writeBytes(chunk.entries[index].record.bytes)
        }
        var offset = 0
        chunk.decoded.events.reserveCapacity(chunk.entries.count)
        // Each shard's context, looked up once per chunk rather than hashed per record.
        let known = venue.decodesFramesIndependently ? learned.withLock { Array($0) } : []
        for index in chunk.entries.indices where chunk.entries[index].record.kind == .frame {
            let length = chunk.entries[index].record.bytes.count
            let message = WebSocketMessage(
                opcode: chunk.entries[index].record.opcode,
                bytes: bytes.getSlice(at: offset, length: length) ?? ByteBuffer())
            offset += length
            chunk.entries[index].message = message
            let shard = chunk.entries[index].record.shard
            guard
                let learned = known.first(where: { $0.key == shard })?.value,
                learned.connection == chunk.entries[index].connection
            else { continue }
            var context = learned.context
            context.receivedAt = chunk.entries[index].record.receivedAt
            let result: Result<(events: Range<Int>, controls: Range<Int>), MarketStreamError>
            let (eventsBefore, controlsBefore) = (chunk.decoded.events.count, chunk.decoded.controls.count)
            do {
                try venue.decode(message, context: context, into: &chunk.decoded)
                result = .success(
                    (eventsBefore..<chunk.decoded.events.count, controlsBefore..<chunk.decoded.controls.count))
            } catch {
                // What a frame that failed half-way appended stays unreferenced.
                result = .failure(error)
            }
            chunk.entries[index].decoded = DecodedAhead(
                context: context, result: result, address: DecodedAhead.address(of: message))
        }
        return chunk
    }
}
