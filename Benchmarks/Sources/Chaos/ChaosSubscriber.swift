import MarketStreamCore
import MarketStreamRouting
import MockExchange
import Synchronization

/// What one chaos subscriber asks for.
struct ChaosWant: Sendable {
    var kind: DataKind
    var markets: [MarketCode]

    /// The kinds subscribers pick from: both book depths make the router consolidate depths.
    static let kinds: [DataKind] = [.ticker, .trade, .orderbook, .orderbook(depth: .five)]

    static func random(markets: [MarketCode], using random: inout some RandomNumberGenerator) -> ChaosWant {
        let count = Int.random(in: 1...3, using: &random)
        var picked: [MarketCode] = []
        while picked.count < count {
            let market = markets.randomElement(using: &random)!
            if !picked.contains(market) { picked.append(market) }
        }
        return ChaosWant(kind: kinds.randomElement(using: &random)!, markets: picked)
    }
}

/// What the subscribers saw, shared by their consumer tasks and the run's checks.
final class ChaosObservations: Sendable {
    private struct State {
        var events = 0
        var lastEventNanoseconds: Int64 = 0
        var staleEvents: [String] = []
        var restoredEvents = 0
    }

    private let state = Mutex(State())
    private let clock = ContinuousClock()
    private let start: ContinuousClock.Instant

    init() { start = clock.now }

    /// Nanoseconds since the run started.
    var now: Int64 {
        let elapsed = start.duration(to: clock.now)
        return elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000
    }

    var events: Int { state.withLock { $0.events } }
    var staleEvents: [String] { state.withLock { $0.staleEvents } }
    var restoredEvents: Int { state.withLock { $0.restoredEvents } }

    /// Whether a market event reached a subscriber within `window` nanoseconds.
    func isFlowing(within window: Int64) -> Bool {
        let last = state.withLock { $0.lastEventNanoseconds }
        return last > 0 && now - last < window
    }

    /// Consumes one subscription until it ends, checking that no event of a generation older than
    /// one it already saw (or than a restore it was told of) reaches it.
    func consume(_ subscription: Subscription) async {
        var newest = ConnectionGeneration.none
        do {
            for try await item in subscription {
                switch item {
                case .market(let event):
                    let at = now
                    if event.generation != .none, event.generation < newest {
                        let text = "\(event.kind) \(event.market) of generation \(event.generation) after \(newest)"
                        state.withLock { $0.staleEvents.append(text) }
                    }
                    if event.generation != .none { newest = max(newest, event.generation) }
                    state.withLock { state in
                        state.events += 1
                        state.lastEventNanoseconds = at
                    }
                case .connection(let change):
                    if case .restored = change.kind {
                        newest = max(newest, change.generation)
                        state.withLock { $0.restoredEvents += 1 }
                    }
                }
            }
        } catch {
            // A cancelled subscription ends its loop; nothing to check.
        }
    }
}

/// The live subscribers: what each wants and its subscription, replaced one at a time by churn.
final class ChaosPopulation: Sendable {
    private struct State {
        var wants: [ChaosWant] = []
        var subscriptions: [Subscription] = []
        var random: SeededRandom
        var churned = 0
    }

    private let router: MarketDataRouter
    private let exchange: ExchangeID
    private let markets: [MarketCode]
    private let state: Mutex<State>

    init(router: MarketDataRouter, exchange: ExchangeID, markets: [MarketCode], seed: UInt64) {
        self.router = router
        self.exchange = exchange
        self.markets = markets
        state = Mutex(State(random: SeededRandom(seed: seed)))
    }

    var churned: Int { state.withLock { $0.churned } }

    /// Subscribes a new random subscriber; the caller consumes the subscription.
    func add() throws -> Subscription {
        try state.withLock { state in
            let want = ChaosWant.random(markets: markets, using: &state.random)
            let subscription = try router.subscribe(to: want.kind, markets: want.markets)
            state.wants.append(want)
            state.subscriptions.append(subscription)
            return subscription
        }
    }

    /// Ends a random subscriber and subscribes a new one in its place.
    func churn() throws -> Subscription {
        state.withLock { state in
            let victim = Int.random(in: 0..<state.subscriptions.count, using: &state.random)
            state.subscriptions.remove(at: victim).cancel()
            state.wants.remove(at: victim)
            state.churned += 1
        }
        return try add()
    }

    /// A random value from the run's seeded generator.
    func random<T>(_ pick: (inout SeededRandom) -> T) -> T { state.withLock { pick(&$0.random) } }

    /// The topics the live subscribers want.
    func wantedTopics() -> Set<SubscriptionTopic> {
        state.withLock { state in
            var topics = Set<SubscriptionTopic>()
            for want in state.wants {
                for market in want.markets {
                    topics.insert(SubscriptionTopic(exchange: exchange, kind: want.kind, market: market))
                }
            }
            return topics
        }
    }
}
