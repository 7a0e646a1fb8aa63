import Foundation

/// Runs `work`, which blocks (waiting for a child process, reading its pipes), on a thread of its
/// own, and returns its result without holding any thread of Swift's cooperative pool.
///
/// The pool has as many threads as cores (two on a small CI machine): a couple of such waits held
/// every other task of a test process back for as long as the programs ran. `NIOThreadPool`
/// does not fit either: its few threads would be held just as long, and a wait that needs another
/// wait to finish first (a gateway that runs until its watchers are done) would never start.
///
/// ```swift
/// let output = await runOnDedicatedThread { pipe.fileHandleForReading.readDataToEndOfFile() }
/// ```
public func runOnDedicatedThread<Value: Sendable, Failure: Error>(
    _ work: @escaping @Sendable () throws(Failure) -> Value
) async throws(Failure) -> Value {
    let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<Value, Failure>, Never>) in
        Thread {
            continuation.resume(returning: Result { () throws(Failure) -> Value in try work() })
        }.start()
    }
    return try result.get()
}
