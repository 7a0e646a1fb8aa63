import Logging
import MarketStreamCore
import MarketStreamRouting
import NIOCore
import NIOPosix
import ServiceLifecycle
import Synchronization

/// Records every frame a router's connections receive, exactly as received, to hourly MSR1 files.
///
/// Give it to the router as its frame tap and run it as a service beside the router:
///
/// ```swift
/// let recorder = FrameRecorder(configuration: .init(directory: "recordings", recording: upbit), logger: logger)
/// let router = MarketDataRouter(managers: [upbit], frameTap: recorder, logger: logger)
/// ```
///
/// The read path only copies a frame into the block being gathered, under a lock held for that
/// copy; compression and file writes happen on a thread pool, a block at a time (each second, or
/// sooner when a block reaches a MiB). A write that fails (a full disk, an unwritable directory)
/// never reaches the read path: the recorder reports it in ``health`` as `failing`, drops and
/// counts what it could not write, and tries a new file with the next block.
public final class FrameRecorder: FrameTap, Service, Sendable {
    /// Where and how to record.
    public struct Configuration: Sendable {
        /// The directory that holds `<venue>/<date>/<hour>.msr.zst`.
        public var directory: String
        /// The venue recorded.
        public var venue: ExchangeID
        /// The wire dialect (the decoder that reads the frames); the venue's id by default.
        public var dialect: String
        /// The venue's channels, in the order records number them.
        public var channels: [ChannelID]
        /// The streams one connection may carry, for the channels whose venue limits that: named
        /// in each file's header, so a replay spreads the set over connections as the recorded
        /// router did.
        public var streamsPerConnection: [ChannelID: Int]
        /// What the files name as their writer.
        public var recorder: String
        /// How often the gathered records are written as a block.
        public var blockInterval: Duration
        /// A block is written sooner once it holds this many bytes.
        public var blockBytes: Int
        /// Bytes allowed to wait for the disk; past it, records are dropped (and counted).
        public var maxPendingBytes: Int
        /// zstd's level (1 fastest; 3 is zstd's default).
        public var compressionLevel: Int32

        /// Creates a configuration.
        public init(
            directory: String, venue: ExchangeID, dialect: String? = nil, channels: [ChannelID] = [.public],
            streamsPerConnection: [ChannelID: Int] = [:], recorder: String = "MarketStream",
            blockInterval: Duration = .seconds(1), blockBytes: Int = 1 << 20, maxPendingBytes: Int = 64 << 20,
            compressionLevel: Int32 = 3
        ) {
            self.directory = directory
            self.venue = venue
            self.dialect = dialect ?? venue.rawValue
            self.channels = channels
            self.streamsPerConnection = streamsPerConnection
            self.recorder = recorder
            self.blockInterval = blockInterval
            self.blockBytes = blockBytes
            self.maxPendingBytes = maxPendingBytes
            self.compressionLevel = compressionLevel
        }

        /// Records `module`'s channels: its exchange, its channels and the streams a connection of
        /// each may carry, as the module states them.
        public init(
            directory: String, recording module: any AbstractWebSocketManager, recorder: String = "MarketStream",
            blockInterval: Duration = .seconds(1)
        ) {
            self.init(
                directory: directory, venue: module.exchange, channels: module.channels.map(\.id),
                streamsPerConnection: Dictionary(
                    module.channels.compactMap { channel in channel.streamsPerConnection.map { (channel.id, $0) } },
                    uniquingKeysWith: { first, _ in first }),
                recorder: recorder, blockInterval: blockInterval)
        }
    }

    private struct Gathering: Sendable {
        var block = RecordBlock()
        var hour: Int64 = 0
        /// Blocks sealed and waiting for the disk, each with its hour.
        var sealed: [(hour: Int64, block: RecordBlock)] = []
        var pendingBytes = 0
        var sequence: UInt32 = 0
        var dropped = 0
        /// The topics to name in the next file's header.
        var subscriptions: [String] = []
    }

    private struct Disk: Sendable {
        var state: RecorderHealth.State = .idle
        var recordsWritten = 0
        var bytesWritten = 0
        var filesFinished = 0
        var currentFile: String?
    }

    public let configuration: Configuration
    private let layout: RecordingLayout
    private let gathering = Mutex(Gathering())
    private let disk = Mutex(Disk())
    private let blockFull = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
    private let threadPool: NIOThreadPool
    private let logger: Logger

    /// Creates a recorder; it writes nothing until ``run()``.
    /// - Parameters:
    ///   - configuration: Where and how to record.
    ///   - threadPool: Where compression and file writes run.
    ///   - logger: Where it logs (file changes and failures).
    public init(configuration: Configuration, threadPool: NIOThreadPool = .singleton, logger: Logger) {
        self.configuration = configuration
        layout = RecordingLayout(directory: configuration.directory, venue: configuration.venue.rawValue)
        self.threadPool = threadPool
        self.logger = logger
    }

    /// How the recorder is doing.
    public var health: RecorderHealth {
        let dropped = gathering.withLock { $0.dropped }
        return disk.withLock { disk in
            RecorderHealth(
                state: disk.state, recordsWritten: disk.recordsWritten, bytesWritten: disk.bytesWritten,
                droppedRecords: dropped, filesFinished: disk.filesFinished, currentFile: disk.currentFile)
        }
    }

    /// Names the subscription set in the header of the files opened from now on.
    public func noteSubscriptions(_ topics: [SubscriptionTopic]) {
        let texts = topics.map { "\($0.kind)/\($0.market)" }.sorted()
        gathering.withLock { $0.subscriptions = texts }
    }

    // MARK: - The read path

    public func frameReceived(_ frame: WebSocketMessage, events: [MarketEvent], context: DecodeContext) {
        frame.bytes.withUnsafeReadableBytes { bytes in
            append(.frame, flags: frame.opcode == .text ? .text : [], context: context, bytes: bytes)
        }
    }

    public func connectionOpened(context: DecodeContext) {
        append(.connected, flags: [], context: context, bytes: UnsafeRawBufferPointer(start: nil, count: 0))
    }

    public func messageSent(_ message: OutboundMessage, context: DecodeContext) {
        guard case .text(let sent) = message else { return }
        var text = sent
        text.withUTF8 { bytes in append(.sent, flags: .text, context: context, bytes: UnsafeRawBufferPointer(bytes)) }
    }

    public func connectionClosed(reason: String, context: DecodeContext) {
        var reason = reason
        reason.withUTF8 { bytes in
            append(.disconnected, flags: .text, context: context, bytes: UnsafeRawBufferPointer(bytes))
        }
    }

    private func append(_ kind: RecordKind, flags: RecordFlags, context: DecodeContext, bytes: UnsafeRawBufferPointer) {
        let channel = UInt8(truncatingIfNeeded: configuration.channels.firstIndex(of: context.channel) ?? 0)
        let receivedAt = context.receivedAt.nanoseconds
        let hour = RecordingLayout.hour(of: receivedAt)
        let full = gathering.withLock { state -> Bool in
            guard state.pendingBytes + state.block.bytes.count + bytes.count <= configuration.maxPendingBytes else {
                state.dropped += 1
                return false
            }
            if !state.block.isEmpty, hour != state.hour { Self.seal(&state) }
            if state.block.isEmpty { state.hour = hour }
            state.sequence &+= 1
            state.block.append(
                kind: kind, channel: channel, flags: flags, shard: UInt8(clamping: context.shard),
                receivedAt: receivedAt, generation: UInt32(truncatingIfNeeded: context.generation.rawValue),
                sequence: state.sequence, bytes: bytes)
            guard state.block.bytes.count >= configuration.blockBytes else { return false }
            Self.seal(&state)
            return true
        }
        if full { blockFull.continuation.yield() }
    }

    private static func seal(_ state: inout Gathering) {
        guard !state.block.isEmpty else { return }
        state.pendingBytes += state.block.bytes.count
        state.sealed.append((state.hour, state.block))
        state.block = RecordBlock()
    }

    // MARK: - Writing

    /// Writes a block each interval (or when one is full) until cancelled or a graceful shutdown;
    /// then writes what is left and finishes the file.
    public func run() async throws {
        var writer: RecordingFileWriter?
        await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    while !Task.isCancelled {
                        try? await Task.sleep(for: self.configuration.blockInterval)
                        self.blockFull.continuation.yield()
                    }
                }
                for await _ in blockFull.stream {
                    if Task.isCancelled { break }
                    writer = await write(with: writer)
                }
                group.cancelAll()
            }
        } onGracefulShutdown: {
            self.blockFull.continuation.finish()
        }
        if let writer = await write(with: writer) { await finish(writer) }
    }

    /// Runs blocking file work on the thread pool, whether or not the calling task is cancelled
    /// (a block gathered is written, and a file opened is finished, even while stopping).
    private func offload<Value: Sendable>(_ body: @escaping @Sendable () throws -> Value) async throws -> Value {
        try await withCheckedThrowingContinuation { continuation in
            threadPool.submit { state in
                guard case .active = state else {
                    continuation.resume(
                        throwing: RecordingError.writeFailed(
                            path: self.configuration.directory, reason: "the thread pool has stopped"))
                    return
                }
                continuation.resume(with: Result { try body() })
            }
        }
    }

    /// Writes every sealed block (and the one being gathered), rotating files by hour.
    /// - Returns: The writer to go on with (`nil` after a failure: the next block opens a new file).
    private func write(with current: RecordingFileWriter?) async -> RecordingFileWriter? {
        let (blocks, subscriptions) = gathering.withLock { state in
            Self.seal(&state)
            defer {
                state.sealed.removeAll()
                state.pendingBytes = 0
            }
            return (state.sealed, state.subscriptions)
        }
        var writer = current
        for (hour, block) in blocks {
            do {
                if let open = writer, RecordingLayout.hour(of: open.firstNanoseconds) != hour {
                    writer = nil
                    await finish(open)
                }
                let target = try await open(
                    writer, hour: hour, firstNanoseconds: block.first, subscriptions: subscriptions)
                writer = target
                let before = target.bytesWritten
                try await offload { try target.append(block) }
                disk.withLock { disk in
                    disk.state = .recording
                    disk.recordsWritten += block.count
                    disk.bytesWritten += target.bytesWritten - before
                }
            } catch {
                let failure =
                    (error as? RecordingError) ?? .writeFailed(path: configuration.directory, reason: "\(error)")
                logger.error("recording failed", metadata: ["error": "\(failure)", "dropped": "\(block.count)"])
                gathering.withLock { $0.dropped += block.count }
                disk.withLock { $0.state = .failing(failure) }
                // Keep what the file holds (a reader stops at a block cut short); the next block
                // tries a new file.
                if let failed = writer { await finish(failed) }
                disk.withLock { $0.currentFile = nil }
                writer = nil
            }
        }
        return writer
    }

    private func open(
        _ writer: RecordingFileWriter?, hour: Int64, firstNanoseconds: Int64, subscriptions: [String]
    ) async throws -> RecordingFileWriter {
        if let writer { return writer }
        let header = RecordingHeader(
            venue: configuration.venue.rawValue, dialect: configuration.dialect,
            channels: configuration.channels.map(\.rawValue), subscriptions: subscriptions,
            streamsPerConnection: configuration.streamsPerConnection.isEmpty
                ? nil
                : Dictionary(
                    configuration.streamsPerConnection.map { ($0.key.rawValue, $0.value) },
                    uniquingKeysWith: { first, _ in first }),
            recorder: configuration.recorder, createdAtNanoseconds: firstNanoseconds)
        let layout = self.layout
        let level = configuration.compressionLevel
        let opened = try await offload {
            try RecordingFileWriter(
                path: layout.path(for: hour), header: header, level: level, firstNanoseconds: firstNanoseconds)
        }
        disk.withLock { disk in
            disk.currentFile = opened.path
            disk.bytesWritten += opened.bytesWritten
        }
        logger.info("recording to a new file", metadata: ["file": "\(opened.path)"])
        return opened
    }

    /// Syncs and renames a file.
    private func finish(_ writer: RecordingFileWriter) async {
        var failure: RecordingError?
        do {
            try await offload { try writer.close() }
        } catch {
            failure = (error as? RecordingError) ?? .writeFailed(path: writer.path, reason: "\(error)")
        }
        disk.withLock { disk in
            disk.currentFile = nil
            if let failure { disk.state = .failing(failure) } else { disk.filesFinished += 1 }
        }
    }

    /// Writes what was gathered so far now, instead of at the next interval.
    public func flush() { blockFull.continuation.yield() }
}
