import Foundation
import Logging
import MarketStreamCore
import NIOCore
import NIOPosix

/// A venue's data from a ``MarketDataGateway`` over NATS, as an ordinary exchange module.
///
/// Strategy code does not change: only the manager list does.
///
/// ```swift
/// let upbit = try UpbitExchange(logger: logger)  // only its decoder and rules are used
/// let remote = try RemoteExchange(venue: upbit, configuration: .init(url: "nats://127.0.0.1:4222"), logger: logger)
/// let router = MarketDataRouter(managers: [remote], logger: logger)
/// try await router.withSubscription(to: .ticker, markets: [btc], on: "upbit") { … }
/// ```
///
/// Each consolidated set the router sends becomes one lease request to the gateway, renewed every
/// third of its lifetime; the module subscribes to the set's subjects and hands each frame to the
/// venue's own decoder, stamped with the gateway's receive time. A process joining a topic the
/// gateway already streams gets its last frame as a snapshot. A gap in a topic's sequence is
/// counted and the topic's last frame is asked for again. A gateway that restarts or is replaced
/// by its standby (a higher epoch) reaches subscribers as a reconnect, and nothing of an older
/// epoch is delivered after it. nats.c does not reconnect on its own here: the router's
/// supervisor does, with its backoff, restore and generations.
///
/// A consumer that prefers ``executor`` (`withTaskExecutorPreference(remote.executor) { … }`) runs
/// on nats.c's delivery thread, right after the router routed what woke it: no thread wake-up.
public struct RemoteExchange: OverwriteSubscriptionManager {
    /// How to reach the gateway.
    public struct Configuration: Sendable {
        /// The NATS server, `nats://host:port`.
        public var url: String
        /// This process's id on the bus (letters, digits, `-`, `_`); unique per process.
        public var clientID: String
        /// How long the gateway holds this process's set without a renewal (renewed every third).
        public var leaseTTL: Duration
        /// How long a lease request may wait for the gateway.
        public var requestTimeout: Duration
        /// How long the bus may stay silent (the gateway beats every second) before the connection
        /// is treated as lost.
        public var silenceTolerance: Duration
        /// Messages nats.c queues per subject before it drops them.
        public var pendingLimit: Int

        /// Creates a configuration.
        public init(
            url: String = "nats://127.0.0.1:4222", clientID: String = RemoteExchange.defaultClientID(),
            leaseTTL: Duration = .seconds(15), requestTimeout: Duration = .seconds(2),
            silenceTolerance: Duration = .seconds(3), pendingLimit: Int = 65_536
        ) {
            self.url = url
            self.clientID = clientID
            self.leaseTTL = leaseTTL
            self.requestTimeout = requestTimeout
            self.silenceTolerance = silenceTolerance
            self.pendingLimit = pendingLimit
        }
    }

    /// The venue module whose decoder and rules are used (it opens no connection of its own).
    public let venue: any AbstractWebSocketManager
    /// How the gateway is reached.
    public let configuration: Configuration
    /// What was seen on the bus.
    public let statistics = RemoteStatistics()
    /// Resumes a consumer that prefers it on the bus's delivery thread, with no thread wake-up
    /// between the bus and the consumer (``RemoteDeliveryExecutor``).
    public let executor: RemoteDeliveryExecutor
    let subjects: BusSubjects
    let threadPool: NIOThreadPool
    let logger: Logger

    /// Creates the module.
    /// - Parameters:
    ///   - venue: The venue's module (for its decoder, channels and rules).
    ///   - configuration: The bus and the lease.
    ///   - threadPool: Where blocking NATS calls run.
    ///   - executor: Where consumers that prefer it are resumed (``executor``).
    ///   - logger: Where the module logs.
    /// - Throws: ``BusProtocolError`` when the venue's id or the client id cannot be a subject token.
    public init(
        venue: any AbstractWebSocketManager, configuration: Configuration = Configuration(),
        threadPool: NIOThreadPool = .singleton, executor: RemoteDeliveryExecutor = RemoteDeliveryExecutor(),
        logger: Logger
    ) throws(BusProtocolError) {
        guard BusSubjects.isToken(configuration.clientID) else { throw .malformedSubject(configuration.clientID) }
        self.venue = venue
        self.configuration = configuration
        self.subjects = try BusSubjects(exchange: venue.exchange)
        self.threadPool = threadPool
        self.executor = executor
        self.logger = logger
    }

    /// A process-unique client id: the host's process id and a random suffix.
    public static func defaultClientID() -> String {
        "p\(ProcessInfo.processInfo.processIdentifier)-\(UInt32.random(in: .min ... .max))"
    }

    public var exchange: ExchangeID { venue.exchange }

    /// The venue's public channels, with the bus's limits: a lease per change window and the
    /// gateway's heartbeat as the sign of life.
    public var channels: [ExchangeChannel] {
        venue.channels.filter { !$0.requiresAuthentication }.map { channel in
            ExchangeChannel(
                id: channel.id, families: channel.families, messageLimits: [RateLimit(20, per: .seconds(1))],
                keepaliveInterval: .seconds(5), silenceTolerance: configuration.silenceTolerance,
                orderbookDepths: channel.orderbookDepths, snapshotsOverSocket: true)
        }
    }

    public var connectLimit: RateLimit { RateLimit(20, per: .seconds(1)) }

    public func validate(_ topic: SubscriptionTopic, on channel: ExchangeChannel) -> MarketStreamError? {
        guard let original = venue.channels.first(where: { $0.id == channel.id }) else {
            return MarketStreamError(
                .unsupportedDataKind, "\(exchange) has no channel \(channel.id)", exchange: exchange)
        }
        if let refusal = venue.validate(topic, on: original) { return refusal }
        guard subjects.data(for: topic) != nil else {
            return MarketStreamError(
                .unsupportedDataKind, "\(topic.kind)/\(topic.market) cannot be carried on the bus", exchange: exchange)
        }
        return nil
    }

    public func connect(to channel: ChannelID, handler: any ConnectionHandler) async throws {
        let link = RemoteLink(
            module: self, clientID: "\(configuration.clientID)-\(channel)", handler: handler)
        try await link.run()
    }

    public func overwriteMessage(for request: SubscriptionRequest) throws(MarketStreamError) -> OutboundMessage? {
        let lease = DemandLease(
            client: "\(configuration.clientID)-\(request.channel)", sequence: request.sequence,
            ttlMilliseconds: Int(configuration.leaseTTL.milliseconds),
            topics: request.desired.map(DemandLease.text(of:)).sorted(),
            snapshots: request.snapshots.map(DemandLease.text(of:)).sorted())
        guard let body = try? JSONEncoder().encode(lease) else {
            throw MarketStreamError(.requestRejected, "the lease could not be encoded", exchange: exchange)
        }
        return .text(String(decoding: body, as: UTF8.self))
    }

    public func decode(_ frame: WebSocketMessage, context: DecodeContext, into output: inout DecodedFrame)
        throws(MarketStreamError)
    {
        try RemoteDecoder(module: self).decode(frame, context: context, into: &output)
    }
}
