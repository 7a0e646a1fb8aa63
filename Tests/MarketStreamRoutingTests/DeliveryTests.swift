import DequeModule
import MarketStreamCore
import Testing

@testable import MarketStreamRouting

@Suite struct DeliveryQueueTests {
    @Test func dropOldestKeepsTheNewestAndCountsDrops() {
        var queue = DeliveryQueue(policy: .dropOldest, capacity: 3)
        var drops = 0
        for price in 1...5 {
            if case .dropped(let n) = queue.offer(.market(tickerEvent(btc, price: ExactDecimal(price)))) { drops += n }
        }
        #expect(drops == 2)
        #expect([queue.take(), queue.take(), queue.take()].map { $0?.price } == [3, 4, 5])
        #expect(queue.take() == nil)
    }

    @Test func coalesceByKeyKeepsTheLatestPerMarketInFirstSeenOrder() {
        var queue = DeliveryQueue(policy: .coalesceByKey, capacity: 10)
        let offers = [(btc, 1), (eth, 2), (btc, 3), (eth, 4), (btc, 5)].map {
            queue.offer(.market(tickerEvent($0.0, price: ExactDecimal($0.1))))
        }
        #expect(offers == [.accepted, .accepted, .dropped(1), .dropped(1), .dropped(1)])
        #expect(queue.take()?.price == 5)
        #expect(queue.take()?.price == 4)
        #expect(queue.isEmpty)
    }

    @Test func coalesceByKeyIsStillBounded() {
        var queue = DeliveryQueue(policy: .coalesceByKey, capacity: 2)
        _ = queue.offer(.market(tickerEvent(btc)))
        _ = queue.offer(.market(tickerEvent(eth)))
        #expect(queue.offer(.market(tickerEvent(xrp))) == .dropped(1))
        #expect(queue.take()?.marketEvent?.market == eth)
    }

    @Test func throttleLetsOnePerKeyPerInterval() {
        var queue = DeliveryQueue(policy: .throttle(.milliseconds(100)), capacity: 100)
        let results = [0, 50, 99, 100, 150, 230].map { ms in
            queue.offer(.market(tickerEvent(btc, price: ExactDecimal(ms), receivedAtMilliseconds: Int64(ms))))
        }
        #expect(results == [.accepted, .dropped(1), .dropped(1), .accepted, .dropped(1), .accepted])
        #expect(
            queue.offer(.market(tickerEvent(eth, receivedAtMilliseconds: 50))) == .accepted,
            "keys are throttled separately")
        #expect([queue.take(), queue.take(), queue.take()].map { $0?.price } == [0, 100, 230])
    }

    @Test func losslessOverflowsInsteadOfDropping() {
        var queue = DeliveryQueue(policy: .lossless, capacity: 2)
        #expect(queue.offer(.market(tickerEvent(btc))) == .accepted)
        #expect(queue.offer(.market(tickerEvent(btc))) == .accepted)
        #expect(queue.offer(.market(tickerEvent(btc))) == .overflowed)
        #expect(queue.count == 2)
    }

    @Test func staleGenerationsAreNeverHandedOut() {
        var queue = DeliveryQueue(policy: .dropOldest, capacity: 10)
        _ = queue.offer(.market(tickerEvent(btc, price: 1, generation: 1)))
        _ = queue.offer(.market(tickerEvent(btc, price: 2, generation: 2)))
        queue.advanceGeneration(to: ConnectionGeneration(2))
        _ = queue.offer(.market(tickerEvent(btc, price: 3, generation: 1)))
        #expect(queue.take()?.price == 2)
        #expect(queue.take() == nil)
        #expect(queue.minimumGeneration == ConnectionGeneration(2))
    }

    @Test func aBatchTakesEventsInOrderUpToItsLimit() {
        var queue = DeliveryQueue(policy: .dropOldest, capacity: 100)
        for price in 1...5 { _ = queue.offer(.market(tickerEvent(btc, price: ExactDecimal(price)))) }
        var batch = Deque<FeedEvent>()
        queue.take(into: &batch, limit: 3)
        #expect(batch.map(\.price) == [1, 2, 3])
        queue.take(into: &batch, limit: 64)
        #expect(batch.map(\.price) == [1, 2, 3, 4, 5])
        #expect(queue.isEmpty)
        // Everything fits an empty batch: the buffers trade places and the queue goes on working.
        batch.removeAll()
        for price in 6...7 { _ = queue.offer(.market(tickerEvent(btc, price: ExactDecimal(price)))) }
        queue.take(into: &batch, limit: 64)
        #expect(batch.map(\.price) == [6, 7])
        #expect(queue.offer(.market(tickerEvent(btc, price: 8))) == .accepted)
        #expect(queue.take()?.price == 8)
    }

    @Test func aStaleEventIsRefusedNotCountedAsADrop() {
        var queue = DeliveryQueue(policy: .lossless, capacity: 1)
        queue.advanceGeneration(to: ConnectionGeneration(3))
        #expect(queue.offer(.market(tickerEvent(btc, generation: 2))) == .stale)
        #expect(queue.offer(.market(tickerEvent(btc, generation: 3))) == .accepted)
        #expect(queue.count == 1)
    }

    @Test func anEventTakenInABatchIsSkippedWhenItsGenerationGoesStale() async throws {
        let buffer = SubscriberBuffer(
            id: SubscriberID(1), channel: ChannelKey(exchange: "memory", channel: .public),
            policy: .dropOldest, capacity: 10, dropCounter: nil, onTermination: { _ in })
        buffer.deliver(.market(tickerEvent(btc, price: 1, generation: 1)))
        buffer.deliver(.market(tickerEvent(btc, price: 2, generation: 2)))
        var batch = Deque<FeedEvent>()
        let filteredAt = try #require(try await buffer.fill(&batch, limit: 64))
        #expect(batch.count == 2)
        // The connection is replaced after the consumer took the batch.
        buffer.advanceGeneration(to: ConnectionGeneration(2))
        let verdicts = batch.map { buffer.handOut($0, filteredAt: filteredAt) }
        #expect(verdicts == [.skip, .deliver])
        buffer.cancel()
        #expect(buffer.handOut(batch[1], filteredAt: filteredAt) == .end)
    }

    @Test func policiesDescribeThemselvesAndPickDefaults() {
        #expect(DeliveryPolicy.throttle(.seconds(1)).description == "throttle(1.0 seconds)")
        #expect(DeliveryPolicy.default(for: .myOrder) == .lossless)
        #expect(DeliveryPolicy.default(for: .ticker) == .dropOldest)
        #expect(
            [DeliveryPolicy.coalesceByKey, .lossless, .dropOldest].map(\.description) == [
                "coalesceByKey", "lossless", "dropOldest",
            ])
    }
}

@Suite struct SubscriberBufferTests {
    final class Terminations: Sendable {
        let ids = MutexBox<[SubscriberID]>([])
    }

    func makeBuffer(_ policy: DeliveryPolicy, capacity: Int = 4, terminations: Terminations = Terminations())
        -> SubscriberBuffer
    {
        SubscriberBuffer(
            id: SubscriberID(7), channel: publicChannel, policy: policy, capacity: capacity, dropCounter: nil,
            onTermination: { id in terminations.ids.withLock { $0.append(id) } })
    }

    @Test func deliversInOrderToAWaitingConsumer() async throws {
        let buffer = makeBuffer(.dropOldest)
        async let first = buffer.next()
        buffer.deliver(.market(tickerEvent(btc, price: 1)))
        buffer.deliver(.market(tickerEvent(btc, price: 2)))
        #expect(try await first?.price == 1)
        #expect(try await buffer.next()?.price == 2)
    }

    @Test func aBurstWakesAParkedConsumerOnceAfterItsLastEvent() async throws {
        let buffer = makeBuffer(.dropOldest)
        let consumer = Task { try await buffer.next() }
        while !buffer.hasParkedConsumer { await Task.yield() }
        var wakes = DeferredWakes()
        for price in 1...3 { buffer.deliver(.market(tickerEvent(btc, price: ExactDecimal(price))), wakes: &wakes) }
        #expect(buffer.hasParkedConsumer, "nobody is woken during the burst")
        #expect(buffer.queuedCount == 3)
        wakes.wake()
        #expect(try await consumer.value?.price == 1)
        var batch = Deque<FeedEvent>()
        _ = try await buffer.fill(&batch, limit: 64)
        #expect(batch.map(\.price) == [2, 3], "the rest is taken in one batch")
    }

    @Test func aBurstThatEndsWithoutWakingStillWakes() async throws {
        let buffer = makeBuffer(.dropOldest)
        let consumer = Task { try await buffer.next() }
        while !buffer.hasParkedConsumer { await Task.yield() }
        do {
            var wakes = DeferredWakes()
            buffer.deliver(.market(tickerEvent(btc, price: 1)), wakes: &wakes)
        }
        #expect(try await consumer.value?.price == 1)
    }

    @Test func losslessOverflowEndsWithSubscriberTooSlowAfterTheBufferedEvents() async throws {
        let terminations = Terminations()
        let buffer = makeBuffer(.lossless, capacity: 2, terminations: terminations)
        for price in 1...3 { buffer.deliver(.market(tickerEvent(btc, price: ExactDecimal(price)))) }
        #expect(terminations.ids.withLock { $0 } == [SubscriberID(7)], "the upstream share is released at once")
        #expect(try await buffer.next()?.price == 1)
        #expect(try await buffer.next()?.price == 2)
        await #expect {
            try await buffer.next()
        } throws: { error in
            (error as? MarketStreamError)?.code == .subscriberTooSlow
        }
        #expect(try await buffer.next() == nil)
        buffer.deliver(.market(tickerEvent(btc)))
        #expect(try await buffer.next() == nil)
    }

    @Test func finishingWakesAWaitingConsumer() async throws {
        let terminations = Terminations()
        let buffer = makeBuffer(.dropOldest, terminations: terminations)
        let consumer = Task { try await buffer.next() }
        buffer.finish(throwing: MarketStreamError(.routerShutDown, "bye"))
        await #expect(throws: MarketStreamError.self) { try await consumer.value }
        buffer.finish()
        #expect(terminations.ids.withLock { $0.count } == 1, "termination is reported once")
        #expect(buffer.isTerminated)
    }

    @Test func cancellingTheConsumersTaskEndsTheBuffer() async throws {
        let terminations = Terminations()
        let buffer = makeBuffer(.dropOldest, terminations: terminations)
        let consumer = Task { try await buffer.next() }
        consumer.cancel()
        #expect(try await consumer.value == nil)
        #expect(buffer.isTerminated)
        #expect(terminations.ids.withLock { $0 } == [SubscriberID(7)])
    }

    @Test func anIteratorsBatchIsWithheldOnceCancelledOrStale() async throws {
        // The iterator takes all four events in its first batch; what happens to the buffer after
        // that must still reach the three it holds.
        let stale = makeBuffer(.dropOldest)
        for price in 1...4 { stale.deliver(.market(tickerEvent(btc, price: ExactDecimal(price), generation: 1))) }
        var iterator = Subscription(handle: SubscriptionHandle(buffer: stale, kind: .ticker)).makeAsyncIterator()
        #expect(try await iterator.next()?.price == 1)
        stale.advanceGeneration(to: ConnectionGeneration(2))
        stale.deliver(.market(tickerEvent(btc, price: 9, generation: 2)))
        #expect(try await iterator.next()?.price == 9, "events 2–4 of generation 1 are skipped")

        let cancelled = makeBuffer(.dropOldest)
        for price in 1...4 { cancelled.deliver(.market(tickerEvent(btc, price: ExactDecimal(price)))) }
        let subscription = Subscription(handle: SubscriptionHandle(buffer: cancelled, kind: .ticker))
        var other = subscription.makeAsyncIterator()
        #expect(try await other.next()?.price == 1)
        subscription.cancel()
        #expect(try await other.next() == nil, "the batch's events 2–4 are not handed out")
    }

    @Test func dropsAreCounted() {
        let buffer = makeBuffer(.dropOldest, capacity: 2)
        for _ in 0..<10 { buffer.deliver(.market(tickerEvent(btc))) }
        #expect(buffer.droppedCount == 8)
    }
}
