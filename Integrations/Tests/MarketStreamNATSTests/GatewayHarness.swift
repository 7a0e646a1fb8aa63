import Foundation
import Logging
import MarketStreamCore
import MarketStreamNATS
import MarketStreamRouting
import MockExchange
import Synchronization
import UpbitExchange

let quietLogger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

/// A real mock exchange, a real nats-server and a gateway between them, for one test.
struct GatewayHarness: Sendable {
    let nats: NATSServerProcess
    let mock: MockExchangeServer
    let mockBase: String

    /// Runs `body` with a mock exchange and a NATS server; stops both afterwards.
    /// - Parameters:
    ///   - configuration: The mock exchange's.
    ///   - jetStream: Whether the NATS server runs JetStream.
    ///   - goThreads: The threads the NATS server runs Go code on (`GOMAXPROCS`); Go's default if `nil`.
    ///   - body: The test.
    static func run<Value: Sendable>(
        mock configuration: MockExchangeConfiguration = MockExchangeConfiguration(), jetStream: Bool = false,
        goThreads: Int? = nil, _ body: @Sendable (GatewayHarness) async throws -> Value
    ) async throws -> Value {
        let nats = try await NATSServerProcess.start(jetStream: jetStream, goThreads: goThreads)
        let mock = MockExchangeServer(configuration: configuration, logger: quietLogger)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await mock.run() }
            defer {
                group.cancelAll()
                nats.kill()
            }
            let base = try await mock.endpoint().webSocketBase
            return try await body(GatewayHarness(nats: nats, mock: mock, mockBase: base))
        }
    }

    /// A gateway serving the mock's Upbit dialect as `mock`.
    func gateway(
        epoch: UInt32 = 1, id: String = "gw", maxClients: Int = 1_000,
        router: RouterConfiguration = RouterConfiguration(debounce: .milliseconds(20), gracePeriod: .zero)
    ) async throws -> MarketDataGateway {
        let bus = try await NATSConnection.connect(.gateway(url: nats.url, name: id))
        return try MarketDataGateway(
            manager: venue(), bus: bus,
            configuration: GatewayConfiguration(
                id: id, epoch: epoch, leaseTTL: .milliseconds(500)...(.seconds(60)), maxClients: maxClients),
            routerConfiguration: router, logger: quietLogger)
    }

    /// Runs `gateway` and, once it serves, `body` with it and a task group for the test's own
    /// tasks (remote routers); when `body` ends, every task of the group, the gateway's included,
    /// is cancelled.
    func serving(
        _ gateway: MarketDataGateway,
        _ body: (MarketDataGateway, inout ThrowingTaskGroup<Void, any Error>) async throws -> Void
    ) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await gateway.run() }
            await gateway.waitUntilServing()
            defer { group.cancelAll() }
            try await body(gateway, &group)
        }
    }

    /// The venue's own module, as a remote process builds it (for its decoder).
    func venue() throws -> UpbitExchange {
        try UpbitExchange(exchange: "mock", configuration: .init(baseURL: mockBase), logger: quietLogger)
    }

    /// A strategy process's router, fed through the gateway.
    func remoteRouter(
        client: String, leaseTTL: Duration = .seconds(15), silence: Duration = .seconds(3), pendingLimit: Int = 65_536
    ) throws -> (MarketDataRouter, RemoteExchange) {
        let remote = try RemoteExchange(
            venue: venue(),
            configuration: .init(
                url: nats.url, clientID: client, leaseTTL: leaseTTL, silenceTolerance: silence,
                pendingLimit: pendingLimit),
            logger: quietLogger)
        let router = MarketDataRouter(
            managers: [remote],
            configuration: RouterConfiguration(
                debounce: .milliseconds(20), gracePeriod: .zero,
                reconnect: ReconnectPolicy(initialDelay: .milliseconds(100), maximumDelay: .seconds(1))),
            logger: quietLogger)
        return (router, remote)
    }

    /// What the mock's Upbit connections are subscribed to, as `<type>/<market>`.
    var upstream: Set<String> {
        Set(
            mock.upbitConnections().filter { !$0.isPrivate }.flatMap(\.subscriptions).map {
                "\($0.type)/\($0.market?.rawValue ?? "")"
            })
    }

    /// Waits up to `limit` for `condition`.
    func eventually(
        _ limit: Duration = .seconds(10), _ condition: @Sendable () -> Bool
    ) async throws -> Bool {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            if condition() { return true }
            try await Task.sleep(for: .milliseconds(20))
        }
        return condition()
    }
}

let btc = MarketCode(validated: "KRW-BTC")
let eth = MarketCode(validated: "KRW-ETH")
let xrp = MarketCode(validated: "KRW-XRP")
