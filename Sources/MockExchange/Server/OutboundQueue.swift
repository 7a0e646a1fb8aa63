import DequeModule
import Synchronization

/// A connection's outbound frames: the dialects append, the session's writer takes everything
/// queued at once and sends it with one flush.
///
/// Bounded: when a client reads slower than the exchange publishes, the oldest frames are dropped
/// (a real exchange would disconnect such a client; the mock keeps the newest data flowing).
final class OutboundQueue: Sendable {
    private struct State {
        var frames: Deque<OutgoingFrame> = []
        var waiter: CheckedContinuation<Void, Never>?
        var isFinished = false
    }

    private let state = Mutex(State())
    private let capacity: Int

    /// Creates a queue holding at most `capacity` frames.
    init(capacity: Int = 100_000) { self.capacity = capacity }

    /// How many frames are queued.
    var count: Int { state.withLock { $0.frames.count } }

    /// Appends a frame (ignored after ``finish()``).
    func yield(_ frame: OutgoingFrame) {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard !state.isFinished else { return nil }
            if state.frames.count == capacity { state.frames.removeFirst() }
            state.frames.append(frame)
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume()
    }

    /// Ends the queue: the writer gets what is left, then `nil`.
    func finish() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            state.isFinished = true
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume()
    }

    /// Up to `limit` queued frames, waiting until there is something; `nil` once finished and
    /// drained or when the calling task is cancelled.
    func nextBatch(limit: Int = 1_024) async -> [OutgoingFrame]? {
        while true {
            enum Step {
                case batch([OutgoingFrame])
                case finished
                case wait
            }
            let step = state.withLock { state -> Step in
                if !state.frames.isEmpty {
                    let count = min(limit, state.frames.count)
                    defer { state.frames.removeFirst(count) }
                    return .batch(Array(state.frames.prefix(count)))
                }
                return state.isFinished ? .finished : .wait
            }
            switch step {
            case .batch(let frames): return frames
            case .finished: return nil
            case .wait:
                if Task.isCancelled { return nil }
                await withTaskCancellationHandler {
                    await withCheckedContinuation { continuation in
                        // Cancellation is checked under the lock the handler takes: either it is
                        // seen here, or the handler finds the stored continuation and resumes it.
                        let resumeNow = state.withLock { state -> Bool in
                            guard state.frames.isEmpty, !state.isFinished, !Task.isCancelled else { return true }
                            state.waiter = continuation
                            return false
                        }
                        if resumeNow { continuation.resume() }
                    }
                } onCancel: {
                    let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
                        defer { state.waiter = nil }
                        return state.waiter
                    }
                    waiter?.resume()
                }
            }
        }
    }
}
