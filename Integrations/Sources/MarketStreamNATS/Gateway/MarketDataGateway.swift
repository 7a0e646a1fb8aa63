import Clocks
import CoreMetrics
import Foundation
import Logging
import MarketStreamCore
import MarketStreamRouting
import ServiceLifecycle
import Synchronization

/// Serves one venue's live data to processes on other machines through NATS, with their demand
/// consolidated.
///
/// The gateway runs an ordinary ``MarketDataRouter`` with the venue's module. Each remote process
/// sends its whole set as a renewable lease (``DemandLease``); the gateway holds the union of the
/// live leases as router subscriptions, so batching under the venue's rate limits, snapshots that
/// never end live streams, the grace period, restore after reconnect and the REST fallback all hold
/// across processes exactly as within one. A lease that is not renewed expires, and its topics
/// then leave after the router's grace period.
///
/// Every frame the router's connections receive is published once on its topic's subject
/// (``BusSubjects``), exactly as received, after a ``BusEnvelope``; the last frame of each topic is
/// kept and sent to a process that joins the topic later.
///
/// A `Service`: run it in a `ServiceGroup` (it runs its router itself).
public final class MarketDataGateway: Service, Sendable {
    /// One process's lease, as the gateway holds it.
    public struct Client: Sendable, Hashable {
        /// The process's id.
        public var id: String
        /// The topics its lease holds.
        public var topics: Set<SubscriptionTopic>
        /// How long ago its lease was first granted.
        public var age: Duration
        /// How long until it expires unless renewed.
        public var expiresIn: Duration
        /// How many times it was renewed or changed.
        public var renewals: Int
        /// What the process reported receiving with its last lease (`nil` until it reports).
        public var report: DeliveryReport?
    }

    private struct State: Sendable {
        var table = DemandTable()
        /// The router subscriptions that hold the union upstream.
        var held: [SubscriptionTopic: Subscription] = [:]
        var rejectedLeases = 0
    }

    /// The router that holds the venue's connections.
    public let router: MarketDataRouter
    private let manager: any AbstractWebSocketManager
    private let bus: NATSConnection
    private let subjects: BusSubjects
    private let configuration: GatewayConfiguration
    private let publisher: FramePublisher
    private let leadership: GatewayLeadership?
    private let parsing: DemandParsing
    private let clock: AnyClock<Duration>
    private let origin: AnyClock<Duration>.Instant
    private let state = Mutex(State())
    private let serving = ReadySignal<Void>()
    private let logger: Logger

    /// Creates a gateway; starts nothing until ``run()``.
    /// - Parameters:
    ///   - manager: The venue's module (Upbit by default in `marketstream-gateway`; any module).
    ///   - bus: The connection it publishes on and serves control requests from; keep nats.c's own
    ///     reconnects on for it (``NATSConnection/Options/reconnects``).
    ///   - configuration: Lease limits and the gateway's epoch.
    ///   - routerConfiguration: The router's batching, grace period and reconnect settings. The
    ///     gateway's router forwards frames only (``RouterConfiguration/forwardsFramesOnly`` is
    ///     set whatever is passed): it publishes tickers and trades by their topic, without
    ///     decoding them, as each remote process decodes them anyway.
    ///   - leadership: With another gateway of the venue as a warm standby: the election that
    ///     decides which serves (the epoch is then the leader's revision, not the configuration's).
    ///   - recorder: Another tap on the venue's connection, beside the publisher: a
    ///     `FrameRecorder`, so the gateway records what it serves.
    ///   - clock: The clock for lease expiry and heartbeats (and the router's).
    ///   - logger: Where the gateway and its router log.
    ///   - metricsFactory: Where its router's counters and gauges go (``GatewayDashboard`` serves them).
    /// - Throws: ``BusProtocolError`` when the venue's id cannot be a subject token.
    public init(
        manager: any AbstractWebSocketManager, bus: NATSConnection, configuration: GatewayConfiguration,
        routerConfiguration: RouterConfiguration = RouterConfiguration(), leadership: GatewayLeadership? = nil,
        recorder: (any FrameTap)? = nil, clock: AnyClock<Duration> = AnyClock(ContinuousClock()), logger: Logger,
        metricsFactory: any MetricsFactory = MetricsSystem.factory
    ) throws(BusProtocolError) {
        self.leadership = leadership
        let subjects = try BusSubjects(exchange: manager.exchange)
        let publisher = FramePublisher(bus: bus, subjects: subjects, logger: logger)
        self.manager = manager
        self.bus = bus
        self.subjects = subjects
        self.configuration = configuration
        self.publisher = publisher
        self.parsing = DemandParsing(manager: manager, subjects: subjects)
        self.clock = clock
        self.origin = clock.now
        self.logger = logger
        let tap: any FrameTap
        if let recorder { tap = FrameTaps([publisher, recorder]) } else { tap = publisher }
        var routerConfiguration = routerConfiguration
        routerConfiguration.forwardsFramesOnly = true
        router = MarketDataRouter(
            managers: [manager], configuration: routerConfiguration, clock: clock, frameTap: tap, logger: logger,
            metricsFactory: metricsFactory)
    }

    /// Frames published so far.
    public var publishedFrames: Int { publisher.published.load(ordering: .relaxed) }

    /// Every process that holds a lease.
    public var clients: [Client] {
        let now = self.now()
        return state.withLock { state in
            state.table.leases.map { id, lease in
                Client(
                    id: id, topics: lease.topics, age: now - lease.grantedAt, expiresIn: lease.expiresAt - now,
                    renewals: lease.renewals, report: lease.report)
            }.sorted { $0.id < $1.id }
        }
    }

    /// The union of every live lease.
    public var demand: Set<SubscriptionTopic> { state.withLock { $0.table.union } }

    /// Runs the router and serves leases until cancelled or a graceful shutdown begins.
    public func run() async throws {
        defer {
            state.withLock { state in
                for subscription in state.held.values { subscription.cancel() }
                state.held.removeAll()
            }
            // Whoever waits for it to serve stops waiting, if it never did.
            serving.fail(CancellationError())
        }
        try await cancelWhenGracefulShutdown {
            try await withThrowingDiscardingTaskGroup { group in
                // The router runs from the start: a standby keeps its venue connection warm.
                group.addTask {
                    do { try await self.router.run() } catch { self.logger.error("router failed: \(error)") }
                }
                try await self.serve()
                group.cancelAll()
            }
        }
    }

    /// The gateway's epoch while it serves; 0 before (a standby waiting for the lead).
    public var epoch: UInt32 { publisher.epoch.load(ordering: .relaxed) }

    /// Waits for the lead (with a standby), then serves leases and publishes until cancelled.
    private func serve() async throws {
        let epoch: UInt32
        let revision: UInt64
        if let leadership {
            logger.info("standing by", metadata: ["id": "\(configuration.id)"])
            revision = try await leadership.acquire()
            epoch = UInt32(truncatingIfNeeded: revision)
        } else {
            revision = 0
            epoch = configuration.epoch
        }
        let (requests, continuation) = AsyncStream.makeStream(
            of: ControlRequest.self, bufferingPolicy: .bufferingNewest(10_000))
        let demand = try bus.subscribe(subjects.demand) { message in
            continuation.yield(ControlRequest(kind: .demand, body: Array(message.data), reply: message.reply))
        }
        let snapshots = try bus.subscribe(subjects.snapshot) { message in
            continuation.yield(ControlRequest(kind: .snapshot, body: Array(message.data), reply: message.reply))
        }
        defer {
            demand.unsubscribe()
            snapshots.unsubscribe()
            continuation.finish()
            publisher.epoch.store(0, ordering: .relaxed)
        }
        publisher.epoch.store(epoch, ordering: .relaxed)
        // The server has the subscriptions once the flush returns: requests reach the gateway from now on.
        try await bus.flush()
        serving.resolve(())
        logger.info(
            "gateway serving",
            metadata: ["venue": "\(subjects.venue)", "epoch": "\(epoch)", "id": "\(configuration.id)"])
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { await self.beat() }
            group.addTask { await self.expireLeases() }
            if let leadership {
                group.addTask {
                    // Losing the lead ends serving: another gateway publishes with a higher epoch.
                    try await leadership.hold(from: revision)
                }
            }
            for await request in requests {
                switch request.kind {
                case .demand: self.serveDemand(request)
                case .snapshot: self.serveSnapshot(request)
                }
            }
            group.cancelAll()
        }
    }

    /// Returns once the gateway answers leases (its control subscriptions are in place), once
    /// ``run()`` has ended without it ever serving (a standby that never got the lead), or when the
    /// calling task is cancelled: check ``epoch`` (0 unless it serves) when that matters.
    public func waitUntilServing() async { _ = try? await serving.wait() }

    // MARK: - Leases

    private func serveDemand(_ request: ControlRequest) {
        let lease: DemandLease
        do {
            lease = try JSONDecoder().decode(DemandLease.self, from: Data(request.body))
        } catch {
            refuse(request, code: .invalidArgument, "malformed demand lease: \(Self.describe(error))")
            return
        }
        guard BusSubjects.isToken(lease.client) else {
            refuse(
                request, code: .invalidArgument,
                "invalid client id '\(lease.client.prefix(80))': use 1–64 of [A-Za-z0-9_-]")
            return
        }
        guard lease.topics.count <= configuration.maxTopicsPerLease,
            lease.snapshots.count <= configuration.maxTopicsPerLease
        else {
            refuse(
                request, code: .invalidArgument,
                "\(lease.topics.count) topics: a lease holds at most \(configuration.maxTopicsPerLease)")
            return
        }
        var topics: Set<SubscriptionTopic> = []
        var rejected: [DemandReply.Rejection] = []
        for text in lease.topics {
            switch parsing.topic(text) {
            case .success(let topic): topics.insert(topic)
            case .failure(let error):
                rejected.append(DemandReply.Rejection(topic: text, code: "\(error.code)", message: error.message))
            }
        }
        var wantedSnapshots: Set<SubscriptionTopic> = []
        for text in lease.snapshots {
            if case .success(let topic) = parsing.topic(text) { wantedSnapshots.insert(topic) }
        }
        let ttl = min(
            max(Duration.milliseconds(max(0, lease.ttlMilliseconds)), configuration.leaseTTL.lowerBound),
            configuration.leaseTTL.upperBound)
        let now = self.now()
        let outcome: Result<DemandTable.Change, MarketStreamError> = state.withLock { state in
            if lease.topics.isEmpty {
                // An empty lease is a process letting go (it sends one when it closes).
                let change = state.table.remove(client: lease.client)
                apply(change, to: &state)
                return .success(change)
            }
            if state.table.leases[lease.client] == nil, state.table.leases.count >= configuration.maxClients {
                state.rejectedLeases += 1
                return .failure(
                    MarketStreamError(
                        .requestRejected, "the gateway serves at most \(configuration.maxClients) processes"))
            }
            let change = state.table.apply(
                client: lease.client, topics: topics, report: lease.report, now: now, ttl: ttl)
            apply(change, to: &state)
            return .success(change)
        }
        let change: DemandTable.Change
        switch outcome {
        case .failure(let error):
            refuse(request, code: error.code, error.message)
            return
        case .success(let value): change = value
        }
        if !change.added.isEmpty || !change.removed.isEmpty {
            logger.debug(
                "demand changed",
                metadata: [
                    "client": "\(lease.client)", "added": "\(change.added.count)", "removed": "\(change.removed.count)",
                ])
        }
        sendSnapshots(of: change.joined.union(wantedSnapshots), to: lease.client)
        reply(
            request,
            DemandReply(
                gateway: configuration.id, epoch: epoch, accepted: topics.count, rejected: rejected))
    }

    /// Holds the union's new topics upstream and lets go of those nobody wants.
    private func apply(_ change: DemandTable.Change, to state: inout State) {
        for topic in change.removed { state.held.removeValue(forKey: topic)?.cancel() }
        for topic in change.added {
            do {
                state.held[topic] = try router.subscribe(
                    to: topic.kind, markets: [topic.market], on: topic.exchange, policy: .connectionEventsOnly)
            } catch {
                logger.warning("could not hold a topic", metadata: ["topic": "\(topic)", "error": "\(error)"])
            }
        }
    }

    private func serveSnapshot(_ request: ControlRequest) {
        guard let wanted = try? JSONDecoder().decode(SnapshotRequest.self, from: Data(request.body)),
            BusSubjects.isToken(wanted.client)
        else { return }
        var topics: Set<SubscriptionTopic> = []
        for text in wanted.topics.prefix(configuration.maxTopicsPerLease) {
            if case .success(let topic) = parsing.topic(text) { topics.insert(topic) }
        }
        sendSnapshots(of: topics, to: wanted.client)
    }

    private func sendSnapshots(of topics: Set<SubscriptionTopic>, to client: String) {
        guard !topics.isEmpty else { return }
        let inbox = subjects.inbox(of: client)
        for message in publisher.snapshotMessages(for: topics) {
            try? bus.publish(inbox, message)
        }
    }

    /// Releases every lease not renewed in time.
    private func expireLeases() async {
        while !Task.isCancelled {
            let now = self.now()
            let (expired, next) = state.withLock { state in
                let (clients, change) = state.table.expire(now: now)
                apply(change, to: &state)
                return (clients, state.table.nextExpiry)
            }
            for client in expired { logger.info("lease expired", metadata: ["client": "\(client)"]) }
            let wake = min(next ?? now + .seconds(1), now + .seconds(1))
            try? await clock.sleep(until: origin.advanced(by: max(wake, now + .milliseconds(10))))
        }
    }

    // MARK: - Status

    private func beat() async {
        let encoder = JSONEncoder()
        while !Task.isCancelled {
            let (clients, topics) = state.withLock { ($0.table.leases.count, $0.table.holders.count) }
            let status = GatewayStatus(
                gateway: configuration.id, epoch: epoch, health: router.health().status.rawValue,
                clients: clients, topics: topics)
            if let body = try? encoder.encode(status) { try? bus.publish(subjects.status, Array(body)) }
            try? await clock.sleep(for: configuration.statusInterval)
        }
    }

    // MARK: - Replies

    private func refuse(_ request: ControlRequest, code: MarketStreamError.Code, _ message: String) {
        logger.info("refused a lease", metadata: ["error": "\(message)"])
        state.withLock { $0.rejectedLeases += 1 }
        reply(
            request,
            DemandReply(
                gateway: configuration.id, epoch: epoch, accepted: 0, rejected: [],
                error: DemandReply.Rejection(topic: "", code: "\(code)", message: message)))
    }

    private func reply(_ request: ControlRequest, _ answer: DemandReply) {
        guard let reply = request.reply, let body = try? JSONEncoder().encode(answer) else { return }
        try? bus.publish(reply, Array(body))
    }

    private func now() -> Duration { origin.duration(to: clock.now) }

    private static func describe(_ error: any Error) -> String {
        switch error {
        case DecodingError.dataCorrupted(let context): context.debugDescription
        case DecodingError.keyNotFound(let key, _): "no '\(key.stringValue)'"
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
            "'\(context.codingPath.map(\.stringValue).joined(separator: "."))' has the wrong type"
        default: "\(error)"
        }
    }
}

/// A control request taken from the bus, served in order by the gateway's task.
struct ControlRequest: Sendable {
    enum Kind: Sendable { case demand, snapshot }
    let kind: Kind
    let body: [UInt8]
    let reply: String?
}
