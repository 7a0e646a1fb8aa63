import CNATS
import Dispatch
import Foundation
import Synchronization

/// Writes what a connection's publishes buffered as soon as it can, and combines the publishes
/// that come while a write is under way into the next write (``NATSConnection/WriteMode/combined``).
///
/// A thread of its own waits for a publish, then has nats.c write its buffer and wait for the
/// server's answer (`natsConnection_FlushTimeout`: the buffer is written in place, then a `PING`
/// waits for its `PONG`). A publish that finds the thread idle is written at once, as with
/// nats.c's send-at-once option; publishes that come during the round trip wait in the buffer
/// and go out in one write after it. So a burst costs a write per round trip instead of one per
/// message, and a lone message is not held back for nats.c's flusher (a millisecond).
final class NATSWriteCombiner: Sendable {
    private let connection: Handle
    /// Set by a publish that has to be written; cleared by the thread before it writes.
    private let pending = Atomic<Bool>(false)
    private let stopping = Atomic<Bool>(false)
    private let wake = DispatchSemaphore(value: 0)
    private let exited = DispatchSemaphore(value: 0)
    private let writes = Atomic<Int>(0)

    /// Starts the writing thread for `connection`.
    init(connection: Handle) {
        self.connection = connection
        let thread = Thread { [self] in run() }
        thread.name = "nats-write-combiner"
        thread.start()
    }

    /// Writes (buffer flushes) begun so far.
    var writeCount: Int { writes.load(ordering: .relaxed) }

    /// Notes a publish to write: wakes the thread unless a write is already due.
    func published() {
        if !pending.exchange(true, ordering: .acquiringAndReleasing) { wake.signal() }
    }

    /// Stops the thread and waits for it to leave nats.c (before the connection is destroyed).
    func stop() {
        guard !stopping.exchange(true, ordering: .acquiringAndReleasing) else { return }
        wake.signal()
        exited.wait()
    }

    private func run() {
        defer { exited.signal() }
        while true {
            wake.wait()
            if stopping.load(ordering: .acquiring) { return }
            pending.store(false, ordering: .releasing)
            // Counted as it starts: a reader may get the frame before the server's answer.
            writes.add(1, ordering: .relaxed)
            // A failure (the connection lost, closing) is nats.c's to report through its callbacks;
            // what was buffered goes with its reconnect buffer.
            _ = natsConnection_FlushTimeout(connection.pointer, 1_000)
        }
    }
}
