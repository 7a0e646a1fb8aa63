import DequeModule
import MarketStreamCore
import MarketStreamTesting
import PropertyBased
import Testing

@testable import MarketStreamRouting

/// The broadcast log that single-topic drop-oldest subscribers share: each reader gets what its
/// own drop-oldest buffer of the same capacity would have given it — the same events, in the same
/// order, with the same drop count — while the read path appends each event once.
@Suite(.timeLimit(.minutes(1))) struct BroadcastLogTests {
    func reader(_ id: UInt64, of log: BroadcastLog) -> SubscriberBuffer {
        SubscriberBuffer(
            id: SubscriberID(id), channel: publicChannel, policy: .dropOldest, capacity: log.capacity, log: log,
            dropCounter: nil, onTermination: { _ in })
    }

    func ownBuffer(capacity: Int) -> SubscriberBuffer {
        SubscriberBuffer(
            id: SubscriberID(999), channel: publicChannel, policy: .dropOldest, capacity: capacity,
            dropCounter: nil, onTermination: { _ in })
    }

    /// Takes what `buffer` holds now, without waiting.
    func drain(_ buffer: SubscriberBuffer, limit: Int) async throws -> [ExactDecimal] {
        var taken: [ExactDecimal] = []
        var batch = Deque<FeedEvent>()
        while taken.count < limit, !buffer.isEmptyForTesting {
            guard let filteredAt = try await buffer.fill(&batch, limit: limit - taken.count) else { break }
            while let event = batch.popFirst() {
                if buffer.handOut(event, filteredAt: filteredAt) == .deliver, let price = event.price {
                    taken.append(price)
                }
            }
        }
        return taken
    }

    /// Random runs of appends and takes: a log reader and an own drop-oldest buffer of the same
    /// capacity hand out the same prices and count the same drops.
    @Test func aReaderGetsWhatItsOwnDropOldestBufferWouldHaveGiven() async {
        await propertyCheck(count: 60, input: Gen.int(in: 0...40).array(of: 1...40)) { steps in
            do {
                let capacity = 1 + (steps.first ?? 0) % 9
                let log = BroadcastLog(capacity: capacity)
                let shared = reader(1, of: log)
                let bystander = reader(2, of: log)  // never reads: must change nothing for the other
                let own = ownBuffer(capacity: capacity)
                var price = 0
                for (index, step) in steps.enumerated() {
                    if index % 2 == 0 {
                        for _ in 0..<step {
                            price += 1
                            let event = FeedEvent.market(tickerEvent(btc, price: ExactDecimal(price)))
                            log.append(event)
                            own.deliver(event)
                        }
                    } else {
                        let fromLog = try await drain(shared, limit: step)
                        let fromOwn = try await drain(own, limit: step)
                        #expect(fromLog == fromOwn, "\(steps)")
                    }
                }
                #expect(try await drain(shared, limit: .max) == drain(own, limit: .max), "\(steps)")
                #expect(shared.droppedCount == own.droppedCount, "\(steps)")
                #expect(bystander.droppedCount == max(0, price - capacity), "\(steps)")
            } catch {
                Issue.record("unexpected error: \(error)")
            }
        }
    }

    @Test func aStalledReadersDropsAreCountedWithoutItReading() {
        let log = BroadcastLog(capacity: 4)
        let stalled = reader(1, of: log)
        for price in 1...10 { log.append(.market(tickerEvent(btc, price: ExactDecimal(price)))) }
        #expect(stalled.droppedCount == 6)
        #expect(stalled.droppedCount == 6, "settling twice counts once")
    }

    @Test func slotsEveryReaderPassedAreReleased() async throws {
        let log = BroadcastLog(capacity: 1_024)
        let first = reader(1, of: log)
        let second = reader(2, of: log)
        for round in 0..<4 {
            for price in 0..<BroadcastLog.releaseInterval {
                log.append(.market(tickerEvent(btc, price: ExactDecimal(round * 100 + price))))
            }
            #expect(try await drain(first, limit: .max).count == BroadcastLog.releaseInterval)
            #expect(try await drain(second, limit: .max).count == BroadcastLog.releaseInterval)
        }
        // Released at each pass up to the readers' cursors: at most one interval is still held.
        #expect(log.retainedCount <= BroadcastLog.releaseInterval)
        first.cancel()
        second.cancel()
        for price in 0..<BroadcastLog.releaseInterval {
            log.append(.market(tickerEvent(btc, price: ExactDecimal(price))))
        }
        #expect(log.retainedCount == 0, "a log without readers keeps nothing")
        #expect(log.readerCount == 0)
    }

    @Test func aWaitingReaderIsWokenByTheNextAppend() async throws {
        let log = BroadcastLog(capacity: 8)
        let buffer = reader(1, of: log)
        async let next = buffer.next()
        log.append(.market(tickerEvent(btc, price: 5)))
        #expect(try await next?.price == 5)
    }

    @Test func finishingEndsAfterTheEventsAppendedSoFarWithTheErrorOnce() async throws {
        let log = BroadcastLog(capacity: 8)
        let buffer = reader(1, of: log)
        log.append(.market(tickerEvent(btc, price: 1)))
        buffer.finish(throwing: MarketStreamError(.routerShutDown, "bye"))
        log.append(.market(tickerEvent(btc, price: 2)))
        #expect(buffer.isTerminated)
        #expect(try await buffer.next()?.price == 1)
        await #expect(throws: MarketStreamError.self) { try await buffer.next() }
        #expect(try await buffer.next() == nil)
    }

    @Test func cancellingAWaitingConsumerEndsItsRead() async throws {
        let log = BroadcastLog(capacity: 8)
        let buffer = reader(1, of: log)
        let consumer = Task { try await buffer.next() }
        consumer.cancel()
        #expect(try await consumer.value == nil)
        #expect(buffer.isTerminated)
        #expect(log.readerCount == 0)
    }

    @Test func staleEventsAreSkippedNotCountedAsDrops() async throws {
        let log = BroadcastLog(capacity: 8)
        let buffer = reader(1, of: log)
        log.append(.market(tickerEvent(btc, price: 1, generation: 1)))
        buffer.advanceGeneration(to: ConnectionGeneration(2))
        log.append(.market(tickerEvent(btc, price: 2, generation: 2)))
        #expect(try await drain(buffer, limit: .max) == [2])
        #expect(buffer.droppedCount == 0)
    }

    /// Through the router: from the second subscriber of one topic with drop-oldest on, they share
    /// one log; each receives every event once, and news of a reconnect reaches each of them
    /// once, after the events.
    @Test func singleTopicDropOldestSubscribersShareOneLog() async throws {
        let harness = RouterHarness(configuration: RouterConfiguration(debounce: .zero, gracePeriod: .zero))
        try await harness.run { h in
            await h.exchange.waitForConnection(1)
            let subscriptions = try (0..<3).map { _ in try h.router.subscribe(to: .ticker, markets: [btc]) }
            let own = try h.router.subscribe(to: .ticker, markets: [btc, eth])
            await h.waitForUpstream([btc, eth])
            #expect(subscriptions[0].handle.buffer.log == nil, "the first has a buffer of its own")
            let logs = Set(subscriptions.compactMap { $0.handle.buffer.log.map(ObjectIdentifier.init) })
            #expect(logs.count == 1, "the second and third share one log")
            #expect(subscriptions[1].handle.buffer.log?.readerCount == 2)
            #expect(own.handle.buffer.log == nil, "two topics: a buffer of its own")
            for price in 1...5 { h.exchange.emitTicker(btc, price: ExactDecimal(price)) }
            h.exchange.dropConnection()
            for subscription in subscriptions + [own] {
                var prices: [ExactDecimal] = []
                var reconnects = 0
                for try await event in subscription {
                    if event.marketEvent?.stream == .realtime, let price = event.price { prices.append(price) }
                    if case .connection(let change) = event, case .reconnecting = change.kind {
                        reconnects += 1
                        break
                    }
                }
                #expect(prices == (1...5).map { ExactDecimal($0) })
                #expect(reconnects == 1)
            }
        }
    }
}

extension SubscriberBuffer {
    /// Whether a take now would find nothing (a test helper; the log is asked without waiting).
    var isEmptyForTesting: Bool {
        if let log { return !log.hasEvents(for: id) }
        return queuedCount == 0
    }
}
