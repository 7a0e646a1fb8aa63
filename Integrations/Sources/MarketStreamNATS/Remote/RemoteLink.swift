import Foundation
import Logging
import MarketStreamCore
import Synchronization

/// One connection of a ``RemoteExchange`` to the bus: its NATS connection, the subscriptions of
/// its set's subjects, its lease, and the checks on what arrives (epoch, per-topic sequence).
final class RemoteLink: WebSocketOutbound, Sendable {
    private struct State: Sendable {
        /// How a message's epoch compares with the one the connection follows.
        enum EpochCheck: Equatable { case current, newer(was: UInt32) }
        /// What to do with a data message.
        enum Verdict { case deliver, old, gap, newerEpoch(was: UInt32) }

        var connection: NATSConnection?
        /// The subscription of each subject of the set, and a lease topic it carries.
        var subscriptions: [String: (subscription: NATSSubscription, topic: String)] = [:]
        var lease: DemandLease?
        /// The gateway epoch this connection follows (0 until the first frame or reply).
        var epoch: UInt32 = 0
        /// The last sequence number seen per subject.
        var sequences = SubjectSequences()
        /// nats.c's dropped count per subject, as last reported to the router.
        var reportedDrops: [String: Int64] = [:]

        /// Frames nats.c dropped since the last report, across the set's subscriptions.
        mutating func newDrops() -> Int64 {
            var total: Int64 = 0
            for (subject, held) in subscriptions {
                total += newDrops(of: subject, in: held.subscription)
            }
            return total
        }

        /// Frames nats.c dropped for one subscription since the last report.
        mutating func newDrops(of subject: String, in subscription: NATSSubscription) -> Int64 {
            let dropped = subscription.droppedMessages
            defer { reportedDrops[subject] = dropped }
            return max(0, dropped - (reportedDrops[subject] ?? 0))
        }

        /// Adopts the first epoch seen; a newer one means another gateway serves now.
        mutating func follow(epoch: UInt32) -> EpochCheck {
            if self.epoch == 0 { self.epoch = epoch }
            return epoch > self.epoch ? .newer(was: self.epoch) : .current
        }

        /// Checks a data message's epoch and its place in its subject's sequence.
        mutating func admit(epoch: UInt32, sequence: UInt32, on subject: String, replay: Bool) -> Verdict {
            if case .newer(let was) = follow(epoch: epoch) { return .newerEpoch(was: was) }
            switch sequences.place(sequence, on: subject) {
            case .next: return .deliver
            case .old: return .old
            case .gap: return replay ? .deliver : .gap
            }
        }
    }

    private let module: RemoteExchange
    private let clientID: String
    private let handler: any ConnectionHandler
    private let state = Mutex(State())
    private let ends: AsyncStream<String>
    private let endContinuation: AsyncStream<String>.Continuation
    private let logger: Logger
    /// What this connection received, for the report sent with each lease.
    private let delivered = Atomic<Int>(0)
    private let dropped = Atomic<Int>(0)
    private let gaps = Atomic<Int>(0)
    /// Frames held while nats.c has more of their subscription's messages queued.
    private let burst: FrameBurst

    init(module: RemoteExchange, clientID: String, handler: any ConnectionHandler) {
        self.module = module
        self.clientID = clientID
        self.handler = handler
        burst = FrameBurst(handler: handler)
        (ends, endContinuation) = AsyncStream.makeStream(of: String.self, bufferingPolicy: .bufferingNewest(1))
        var logger = module.logger
        logger[metadataKey: "client"] = "\(clientID)"
        self.logger = logger
    }

    /// Connects, runs the router's side of the connection, and closes when either ends.
    func run() async throws {
        let statistics = module.statistics
        let connection: NATSConnection
        do {
            connection = try await NATSConnection.connect(
                .init(url: module.configuration.url, name: clientID, reconnects: false),
                threadPool: module.threadPool
            ) { [endContinuation, weak self] event in
                switch event {
                case .disconnected, .closed: endContinuation.yield("lost the NATS server")
                case .slowConsumer:
                    statistics.slowConsumerCounter.add(1, ordering: .relaxed)
                    self?.reportDrops()
                case .reconnected, .error: break
                }
            }
        } catch let error as NATSError {
            throw MarketStreamError(.connectionRefused, "NATS: \(error)", exchange: module.exchange)
        }
        state.withLock { $0.connection = connection }
        do {
            // Each delivery runs, on its thread, the consumers it woke (``RemoteDeliveryExecutor``).
            let status = try connection.subscribe(module.subjects.status) { [self] message in
                module.executor.deliver { heartbeat(message.data) }
            }
            let inbox = try connection.subscribe(module.subjects.inbox(of: clientID)) { [self] message in
                module.executor.deliver { burst.hand(replay(message.data), morePending: message.morePending) }
            }
            defer {
                status.unsubscribe()
                inbox.unsubscribe()
            }
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await self.handler.run(outbound: self) }
                group.addTask {
                    for await reason in self.ends {
                        throw MarketStreamError(.connectionClosed, reason, exchange: self.module.exchange)
                    }
                }
                group.addTask { try await self.renewLeases() }
                group.addTask { try await self.watchDrops() }
                try await group.next()
                group.cancelAll()
            }
        } catch {
            await close(connection)
            throw error
        }
        await close(connection)
    }

    /// Lets go of the lease at once (not after its expiry) and closes.
    private func close(_ connection: NATSConnection) async {
        let (lease, subscriptions, drops) = state.withLock { state in
            defer {
                state.subscriptions.removeAll()
                state.reportedDrops.removeAll()
                state.connection = nil
            }
            return (state.lease, state.subscriptions.values.map(\.subscription), state.newDrops())
        }
        report(drops)
        for subscription in subscriptions { subscription.unsubscribe() }
        if var lease {
            lease.topics = []
            lease.snapshots = []
            lease.sequence += 1
            if let body = try? JSONEncoder().encode(lease) {
                try? connection.publish(module.subjects.demand, Array(body))
            }
            try? await connection.flush(timeout: .milliseconds(500))
        }
        await connection.close()
        endContinuation.finish()
    }

    // MARK: - Outbound (leases)

    func send(_ message: OutboundMessage) async throws {
        guard case .text(let text) = message,
            var lease = try? JSONDecoder().decode(DemandLease.self, from: Data(text.utf8))
        else {
            throw MarketStreamError(.requestRejected, "not a lease: \(message)", exchange: module.exchange)
        }
        lease.client = clientID
        try follow(lease)
        try await request(lease)
    }

    /// Nothing to ping: the gateway's heartbeat is the sign of life.
    func sendPing() async throws {}

    /// Subscribes to the subjects of the lease's topics and unsubscribes from the others.
    private func follow(_ lease: DemandLease) throws {
        var wanted: [String: String] = [:]
        for text in lease.topics {
            guard let slash = text.lastIndex(of: "/"), let kind = try? DataKind(parsing: String(text[..<slash])),
                let market = try? MarketCode(String(text[text.index(after: slash)...])),
                let subject = module.subjects.data(
                    for: SubscriptionTopic(exchange: module.exchange, kind: kind, market: market))
            else { continue }
            wanted[subject] = text
        }
        let pendingLimit = module.configuration.pendingLimit
        let drops = try state.withLock { state in
            guard let connection = state.connection else {
                throw MarketStreamError(.connectionClosed, "the bus connection is closed", exchange: module.exchange)
            }
            var drops: Int64 = 0
            for (subject, held) in state.subscriptions where wanted[subject] == nil {
                drops += state.newDrops(of: subject, in: held.subscription)
                held.subscription.unsubscribe()
                state.subscriptions[subject] = nil
                state.sequences.forget(subject)
                state.reportedDrops[subject] = nil
            }
            for (subject, topic) in wanted where state.subscriptions[subject] == nil {
                let subscription = try connection.subscribe(subject, pendingLimit: pendingLimit) { [self] message in
                    module.executor.deliver {
                        let frame = admit(
                            subject: subject, subjectBytes: message.subjectBytes, payload: message.data, replay: false)
                        burst.hand(frame, morePending: message.morePending)
                    }
                }
                state.subscriptions[subject] = (subscription, topic)
            }
            return drops
        }
        // Frames held for subjects just left go now, not after the next burst of others.
        burst.end()
        report(drops)
    }

    // MARK: - Slow-consumer drops

    /// Hands the router (for its health) what nats.c dropped since the last report.
    private func reportDrops() {
        report(state.withLock { $0.newDrops() })
    }

    private func report(_ drops: Int64) {
        guard drops > 0 else { return }
        module.statistics.droppedCounter.add(drops, ordering: .relaxed)
        dropped.add(Int(drops), ordering: .relaxed)
        handler.transportDropped(Int(drops))
    }

    /// Reports drops every second: nats.c reports a slow consumer once, not every drop after it.
    private func watchDrops() async throws {
        while true {
            try await Task.sleep(for: .seconds(1))
            reportDrops()
        }
    }

    /// Sends `lease`, with what this connection received so far, and waits for the gateway's answer.
    private func request(_ lease: DemandLease) async throws {
        guard let connection = state.withLock({ $0.connection }) else {
            throw MarketStreamError(.connectionClosed, "the bus connection is closed", exchange: module.exchange)
        }
        reportDrops()
        var lease = lease
        lease.report = DeliveryReport(
            delivered: delivered.load(ordering: .relaxed), dropped: dropped.load(ordering: .relaxed),
            gaps: gaps.load(ordering: .relaxed))
        let body = try JSONEncoder().encode(lease)
        let answer: [UInt8]
        do {
            answer = try await connection.request(
                module.subjects.demand, Array(body), timeout: module.configuration.requestTimeout)
        } catch let error as NATSError {
            let reason = error.code == .noResponders ? "no gateway serves \(module.exchange)" : "the gateway: \(error)"
            throw MarketStreamError(.connectionClosed, reason, exchange: module.exchange)
        }
        state.withLock { $0.lease = lease }
        guard let reply = try? JSONDecoder().decode(DemandReply.self, from: Data(answer)) else {
            throw MarketStreamError(.malformedFrame, "an unreadable gateway reply", exchange: module.exchange)
        }
        if !follow(epoch: reply.epoch) { return }
        if reply.error != nil || !reply.rejected.isEmpty {
            module.statistics.rejectionsCounter.add(
                reply.rejected.count + (reply.error == nil ? 0 : 1), ordering: .relaxed)
            handler.receive(RemoteFrame.refusal(answer))
        }
    }

    /// Sends the lease again every third of its lifetime.
    private func renewLeases() async throws {
        let interval = module.configuration.leaseTTL / 3
        while true {
            try await Task.sleep(for: interval)
            guard var lease = state.withLock({ $0.lease }) else { continue }
            lease.sequence += 1
            try await request(lease)
        }
    }

    // MARK: - Inbound

    /// Follows the gateway's epoch: adopts the first, ends the connection on a newer one (a
    /// restarted gateway or a standby that took over), and refuses an older one.
    /// - Returns: Whether what carried `epoch` is of the epoch followed.
    private func follow(epoch: UInt32) -> Bool {
        guard admitAcrossConnections(epoch) else { return false }
        if case .newer(let was) = state.withLock({ $0.follow(epoch: epoch) }) {
            gatewayChanged(from: was, to: epoch)
            return false
        }
        return true
    }

    /// Refuses (and counts) an epoch older than the highest any connection of the module saw.
    private func admitAcrossConnections(_ epoch: UInt32) -> Bool {
        guard module.statistics.admit(epoch: epoch) else {
            module.statistics.fencedCounter.add(1, ordering: .relaxed)
            return false
        }
        return true
    }

    /// Ends the connection: another gateway serves now, and the router's reconnect tells subscribers.
    private func gatewayChanged(from was: UInt32, to epoch: UInt32) {
        logger.info("the gateway changed", metadata: ["epoch": "\(epoch)", "was": "\(was)"])
        endContinuation.yield("the gateway changed (epoch \(was) to \(epoch))")
    }

    private func heartbeat(_ body: UnsafeRawBufferPointer) {
        guard let status = try? JSONDecoder().decode(GatewayStatus.self, from: Data(body)),
            follow(epoch: status.epoch)
        else { return }
        burst.end()
        handler.receive(RemoteFrame.beat)
    }

    /// A late joiner's snapshot from the inbox: `u8 subject length | subject | envelope | frame`.
    /// - Returns: The frame for the router, or `nil` when there is none to hand over.
    private func replay(_ message: UnsafeRawBufferPointer) -> WebSocketMessage? {
        guard let length = message.first.map(Int.init), message.count > 1 + length else { return nil }
        let subjectBytes = UnsafeRawBufferPointer(rebasing: message[1..<(1 + length)])
        return admit(
            subject: String(decoding: subjectBytes, as: UTF8.self), subjectBytes: subjectBytes,
            payload: UnsafeRawBufferPointer(rebasing: message[(1 + length)...]), replay: true)
    }

    /// Checks a data message's epoch and sequence (under one lock) and counts it.
    /// - Parameters:
    ///   - subject: The subject, as the subscription knows it (no string is made per message).
    ///   - subjectBytes: The same, as bytes for the frame.
    /// - Returns: The frame for the router, or `nil` for a message not to hand over (old, of
    ///   another epoch, or unreadable).
    private func admit(
        subject: String, subjectBytes: UnsafeRawBufferPointer, payload: UnsafeRawBufferPointer, replay: Bool
    ) -> WebSocketMessage? {
        guard let envelope = try? BusEnvelope(reading: payload), admitAcrossConnections(envelope.epoch) else {
            return nil
        }
        let verdict = state.withLock { state in
            state.admit(epoch: envelope.epoch, sequence: envelope.sequence, on: subject, replay: replay)
        }
        switch verdict {
        case .old: return nil
        case .newerEpoch(let was):
            gatewayChanged(from: was, to: envelope.epoch)
            return nil
        case .gap:
            module.statistics.gapsCounter.add(1, ordering: .relaxed)
            gaps.add(1, ordering: .relaxed)
            askAgain(for: subject)
        case .deliver: break
        }
        if replay { module.statistics.snapshotsCounter.add(1, ordering: .relaxed) }
        module.statistics.framesCounter.add(1, ordering: .relaxed)
        delivered.add(1, ordering: .relaxed)
        return RemoteFrame.data(subject: subjectBytes, payload: payload)
    }

    /// Asks the gateway for a subject's last frame again, after a gap (frames the bus lost).
    private func askAgain(for subject: String) {
        guard
            let (connection, topic) = state.withLock({ state in
                state.connection.flatMap { connection in state.subscriptions[subject].map { (connection, $0.topic) } }
            })
        else { return }
        let request = SnapshotRequest(client: clientID, topics: [topic])
        if let body = try? JSONEncoder().encode(request) {
            try? connection.publish(module.subjects.snapshot, Array(body))
        }
    }
}
