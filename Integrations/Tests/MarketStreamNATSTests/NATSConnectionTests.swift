import Dispatch
import MarketStreamNATS
import Synchronization
import Testing

/// How the bus client is set up.
@Suite(.timeLimit(.minutes(1))) struct NATSConnectionTests {
    /// Counts the messages a subscription received, and wakes a waiter when its count arrived.
    final class Received: Sendable {
        private struct State {
            var count = 0
            var waiter: (target: Int, continuation: CheckedContinuation<Void, Never>)?
        }

        private let state = Mutex(State())

        /// Counts one message (on nats.c's delivery thread).
        func add() {
            let done = state.withLock { state -> CheckedContinuation<Void, Never>? in
                state.count += 1
                guard let waiter = state.waiter, state.count >= waiter.target else { return nil }
                state.waiter = nil
                return waiter.continuation
            }
            done?.resume()
        }

        /// Returns once `target` messages arrived.
        func wait(for target: Int) async {
            await withCheckedContinuation { continuation in
                let arrived = state.withLock { state -> Bool in
                    if state.count >= target { return true }
                    state.waiter = (target, continuation)
                    return false
                }
                if arrived { continuation.resume() }
            }
        }
    }

    @Test func aCombiningBusWritesALoneFrameItselfAndCombinesABurst() async throws {
        let nats = try await NATSServerProcess.start()
        defer { nats.kill() }
        let options = NATSConnection.Options.gateway(url: nats.url, name: "gw", writeMode: .combined)
        #expect(options.reconnects && options.writeMode == .combined)
        let reader = try await NATSConnection.connect(.init(url: nats.url, name: "reader"))
        let received = Received()
        let subscription = try reader.subscribe("ms.v1.test") { _ in received.add() }
        try await reader.flush()
        let gateway = try await NATSConnection.connect(options)

        try gateway.publish("ms.v1.test", Array(repeating: 7, count: 900))
        await received.wait(for: 1)
        // The thread wakes at once, but a loaded machine may run nats.c's flusher (a millisecond
        // later) first: the frame arrives either way, and the thread's write follows.
        let deadline = ContinuousClock.now + .seconds(5)
        while gateway.combinedWrites < 1 && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(1))
        }
        #expect(gateway.combinedWrites >= 1, "written by the bus's own thread, not left for nats.c's flusher")

        let before = gateway.combinedWrites
        let burst = 10_000
        for _ in 0..<burst { try gateway.publish("ms.v1.test", Array(repeating: 7, count: 900)) }
        await received.wait(for: 1 + burst)
        let writes = gateway.combinedWrites - before
        #expect(writes >= 1)
        #expect(writes < burst / 2, "a burst goes out in a few writes, not one per message (\(writes) writes)")
        subscription.unsubscribe()
        await gateway.close()
        await reader.close()
    }

    @Test func aMessageKnowsWhetherMoreOfItsSubscriptionAreQueuedBehindIt() async throws {
        let nats = try await NATSServerProcess.start()
        defer { nats.kill() }
        let reader = try await NATSConnection.connect(.init(url: nats.url, name: "reader"))
        let publisher = try await NATSConnection.connect(.init(url: nats.url, name: "publisher"))
        let gate = DispatchSemaphore(value: 0)
        let flags = Mutex<[Bool]>([])
        let entered = Atomic<Bool>(false)
        let received = Received()
        let subscription = try reader.subscribe("ms.v1.pending") { message in
            // The first message holds nats.c's delivery thread until the rest are queued.
            if flags.withLock({ $0.isEmpty }) {
                entered.store(true, ordering: .releasing)
                gate.wait()
            }
            let more = message.morePending
            flags.withLock { $0.append(more) }
            received.add()
        }
        try await reader.flush()
        for _ in 0..<11 { try publisher.publish("ms.v1.pending", [1]) }
        try await publisher.flush()
        // nats.c tells nobody that a message was queued: its counter is read until it shows them.
        let deadline = ContinuousClock.now + .seconds(10)
        while !entered.load(ordering: .acquiring) || subscription.pendingMessages < 10, ContinuousClock.now < deadline {
            await Task.yield()
        }
        #expect(subscription.pendingMessages == 10, "ten queued behind the one being handled")
        gate.signal()
        await received.wait(for: 11)
        #expect(flags.withLock { $0 } == Array(repeating: true, count: 10) + [false])
        #expect(subscription.pendingMessages == 0)
        subscription.unsubscribe()
        await publisher.close()
        await reader.close()
    }

    @Test func aGatewaysBusWritesEachPublishAtOnce() async throws {
        let nats = try await NATSServerProcess.start()
        defer { nats.kill() }
        let options = NATSConnection.Options.gateway(url: nats.url, name: "gw")
        #expect(options.reconnects && options.writeMode == .immediate)
        let bus = try await NATSConnection.connect(options)
        try bus.publish("ms.v1.test", Array(repeating: 7, count: 900))
        #expect(bus.bufferedBytes == 0, "written, not left for nats.c's flusher")
        #expect(bus.combinedWrites == 0)
        await bus.close()
    }
}
