import NIOCore
import NIOPosix

/// A Swift concurrency task executor that resumes a ``RemoteExchange``'s consumers on the thread
/// that delivered their frames from the bus: nats.c's delivery thread, once the router has routed
/// what the thread handed it.
///
/// A consumer iterating on Swift's global pool is woken by a thread wake-up per quiet period (a
/// futex call and a context switch, tens of microseconds on a virtual machine, and most of the
/// tail of the bus's latency). One that prefers this executor is resumed with no wake-up at all:
///
/// ```swift
/// try await withTaskExecutorPreference(remote.executor) {
///     for try await event in ticks { strategy.handle(event) }  // runs on the delivery thread: keep it short
/// }
/// ```
///
/// A job enqueued while a delivery thread hands frames to the router (a consumer woken by them)
/// runs on that thread as soon as the router is done with them, before nats.c delivers the next
/// message. A job enqueued anywhere else (a task's start, a wake from a timer or from another
/// module) runs on a SwiftNIO event loop. Work done on a delivery thread delays every message
/// behind it, and nats.c drops what overflows a subscription's pending limit (counted in the
/// router's health): keep such consumers fast and non-blocking, and leave slow work to tasks
/// without the preference. Call it from nonisolated code: code isolated to an actor (the main
/// actor, say) keeps running on that actor whatever the preference.
public final class RemoteDeliveryExecutor: TaskExecutor, Sendable {
    /// The jobs a delivery thread runs once the router is done with what it handed over. Only its
    /// own thread touches it.
    private final class Pending: @unchecked Sendable {
        var jobs: [UnownedJob] = []
        /// Whether the thread is handing frames over now (jobs enqueued then wait for the end).
        var delivering = false
    }

    /// Each delivery thread's pending jobs.
    private let pending = ThreadSpecificVariable<Pending>()
    /// Where jobs enqueued outside a delivery run.
    public let eventLoop: any EventLoop

    /// Creates an executor.
    /// - Parameter eventLoop: Where jobs enqueued outside a delivery run; by default one of the
    ///   process-wide shared NIO loops.
    public init(eventLoop: any EventLoop = MultiThreadedEventLoopGroup.singleton.next()) {
        self.eventLoop = eventLoop
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        if let pending = pending.currentValue, pending.delivering {
            pending.jobs.append(job)
        } else {
            eventLoop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
        }
    }

    /// Whether the calling thread is a delivery thread handing frames over now (a consumer
    /// resumed by a delivery runs while this holds).
    public var isDeliveringOnCurrentThread: Bool { pending.currentValue?.delivering ?? false }

    /// Runs `body` (a delivery: handing a message's frames to the router), then, on the same
    /// thread, every job it enqueued here (the consumers it woke), and the jobs those enqueued, in
    /// order. A delivery inside another runs its body only: the outer one runs the jobs.
    func deliver(_ body: () -> Void) {
        let pending: Pending
        if let current = self.pending.currentValue {
            guard !current.delivering else {
                body()
                return
            }
            pending = current
        } else {
            pending = Pending()
            self.pending.currentValue = pending
        }
        pending.delivering = true
        body()
        var next = 0
        while next < pending.jobs.count {
            let job = pending.jobs[next]
            next += 1
            job.runSynchronously(on: asUnownedTaskExecutor())
        }
        pending.jobs.removeAll(keepingCapacity: true)
        pending.delivering = false
    }
}
