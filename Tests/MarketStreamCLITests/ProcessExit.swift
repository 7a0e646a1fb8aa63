import Foundation

/// A process's exit, signalled by the process itself (its `terminationHandler`), so a wait with
/// a deadline blocks until then rather than polling `isRunning`. Made before the process runs.
final class ProcessExit: Sendable {
    private let exited = DispatchSemaphore(value: 0)

    init(of process: Process) {
        process.terminationHandler = { [exited] _ in exited.signal() }
    }

    /// Blocks until the process exits, or for `timeout` at most and then terminates it (SIGTERM)
    /// and waits for that.
    func wait(for process: Process, timeout: Duration) {
        let (seconds, attoseconds) = timeout.components
        let nanoseconds = Int(seconds) * 1_000_000_000 + Int(attoseconds / 1_000_000_000)
        if exited.wait(timeout: .now() + .nanoseconds(nanoseconds)) == .timedOut {
            process.terminate()
            exited.wait()
        }
        process.waitUntilExit()
    }
}
