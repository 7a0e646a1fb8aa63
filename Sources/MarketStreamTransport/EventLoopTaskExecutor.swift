import NIOCore
import NIOPosix

/// A Swift concurrency task executor that runs its jobs on one SwiftNIO event loop.
///
/// An exchange module reads its sockets on this loop and decodes and routes each frame there,
/// without handing it to another thread first. A consumer that iterates its subscriptions with
/// a preference for the same executor is resumed on that loop too, so a frame reaches it with
/// no thread wake-up between the socket and the consumer's code:
///
/// ```swift
/// await withTaskExecutorPreference(upbit.executor) {
///     for try await event in ticks { strategy.handle(event) }  // keep this fast: it runs on the I/O loop
/// }
/// ```
///
/// Call it from nonisolated code: code isolated to an actor (the main actor, say) keeps running
/// on that actor whatever the preference. Work done on the loop delays every frame behind it:
/// keep such consumers short and non-blocking, and leave slow work to tasks without the preference.
public final class EventLoopTaskExecutor: TaskExecutor, Sendable {
    /// The loop the jobs run on.
    public let eventLoop: any EventLoop

    /// Creates an executor for `eventLoop`.
    /// - Parameter eventLoop: The loop; by default one of the process-wide shared NIO loops.
    public init(eventLoop: any EventLoop = MultiThreadedEventLoopGroup.singleton.next()) {
        self.eventLoop = eventLoop
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        eventLoop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
