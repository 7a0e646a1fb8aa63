import Logging
import MarketStreamCore
import MarketStreamRouting
import NIOCore
import Synchronization

/// The gateway's frame tap: publishes every frame its router's connections receive, once per
/// topic it carries, with an envelope, and keeps each topic's last frame for late joiners.
final class FramePublisher: FrameTap {
    private struct Topic: Sendable {
        let subject: String
        var sequence: UInt32 = 0
        /// The last message published (envelope and frame).
        var last: [UInt8] = []
    }

    private let bus: NATSConnection
    private let subjects: BusSubjects
    /// The epoch frames are published under; 0 while the gateway does not serve (a standby),
    /// when nothing is published.
    let epoch = Atomic<UInt32>(0)
    private let topics = Mutex<[SubscriptionTopic: Topic]>([:])
    private let logger: Logger
    /// Frames published.
    let published = Atomic<Int>(0)
    /// Frames that could not be published (the bus connection was down).
    let failed = Atomic<Int>(0)

    init(bus: NATSConnection, subjects: BusSubjects, logger: Logger) {
        self.bus = bus
        self.subjects = subjects
        self.logger = logger
    }

    /// The key of the subject carrying `topic`'s events: every depth of a book shares one.
    static func subjectKey(_ topic: SubscriptionTopic) -> SubscriptionTopic {
        topic.kind.isOrderbook
            ? SubscriptionTopic(exchange: topic.exchange, kind: .orderbook, market: topic.market) : topic
    }

    func frameReceived(_ frame: WebSocketMessage, events: [MarketEvent], context: DecodeContext) {
        let epoch = self.epoch.load(ordering: .relaxed)
        guard epoch != 0, let first = events.first else { return }
        let firstKey = Self.subjectKey(first.topic)
        publish(frame, key: firstKey, epoch: epoch, context: context)
        // A frame of several events (a venue's list format) goes to each topic it carries.
        if events.count > 1 {
            var seen: Set<SubscriptionTopic> = [firstKey]
            for event in events.dropFirst() {
                let key = Self.subjectKey(event.topic)
                if seen.insert(key).inserted { publish(frame, key: key, epoch: epoch, context: context) }
            }
        }
    }

    /// A frame the router did not decode: published on its topic's subject.
    func frameForwarded(_ frame: WebSocketMessage, topic: SubscriptionTopic, context: DecodeContext) {
        let epoch = self.epoch.load(ordering: .relaxed)
        guard epoch != 0 else { return }
        publish(frame, key: Self.subjectKey(topic), epoch: epoch, context: context)
    }

    private func publish(_ frame: WebSocketMessage, key: SubscriptionTopic, epoch: UInt32, context: DecodeContext) {
        let length = frame.bytes.readableBytes
        var message = [UInt8](repeating: 0, count: BusEnvelope.size + length)
        message.withUnsafeMutableBytes { buffer in
            frame.bytes.withUnsafeReadableBytes { source in
                UnsafeMutableRawBufferPointer(rebasing: buffer[BusEnvelope.size...]).copyMemory(from: source)
            }
        }
        let flags: BusEnvelope.Flags = frame.opcode == .binary ? .binary : []
        let subject: String? = topics.withLock { topics in
            // The topic is hashed once per frame: its entry is found once and changed in place.
            let index: [SubscriptionTopic: Topic].Index
            if let found = topics.index(forKey: key) {
                index = found
            } else {
                guard let subject = subjects.data(for: key) else { return nil }
                topics[key] = Topic(subject: subject)
                guard let added = topics.index(forKey: key) else { return nil }
                index = added
            }
            topics.values[index].sequence &+= 1
            BusEnvelope(
                flags: flags, epoch: epoch, receivedAt: context.receivedAt,
                generation: UInt32(truncatingIfNeeded: context.generation.rawValue),
                sequence: topics.values[index].sequence
            ).write(to: &message)
            topics.values[index].last = message
            return topics.values[index].subject
        }
        guard let subject else { return }
        do {
            try bus.publish(subject, message)
            published.add(1, ordering: .relaxed)
        } catch {
            if failed.add(1, ordering: .relaxed).newValue == 1 {
                logger.warning("could not publish", metadata: ["subject": "\(subject)", "error": "\(error)"])
            }
        }
    }

    /// The last message of each of `topics` that has one, flagged as a snapshot replay, framed
    /// for a client's inbox: `u8 subject length | subject | envelope | frame`.
    func snapshotMessages(for wanted: Set<SubscriptionTopic>) -> [[UInt8]] {
        let keys = Set(wanted.map(Self.subjectKey))
        return topics.withLock { topics in
            keys.compactMap { key -> [UInt8]? in
                guard let topic = topics[key], !topic.last.isEmpty else { return nil }
                var message = [UInt8(topic.subject.utf8.count)] + Array(topic.subject.utf8) + topic.last
                message[1 + topic.subject.utf8.count + 1] |= BusEnvelope.Flags.snapshotReplay.rawValue
                return message
            }
        }
    }
}

extension BusEnvelope {
    fileprivate func write(to message: inout [UInt8]) {
        message.withUnsafeMutableBytes { write(to: $0) }
    }
}
