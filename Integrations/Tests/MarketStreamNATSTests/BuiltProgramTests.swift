import Foundation
import Testing

/// The helper every command test runs its programs through: a test cancelled while a program still
/// runs (by its time limit, say) must end, not wait for the program for ever.
@Suite(.timeLimit(.minutes(1))) struct BuiltProgramTests {
    @Test func aCancelledRunKillsItsProgram() async throws {
        // Cancelled once the program runs: the hook is called after it started, and waits to be
        // cancelled. (The SIGINT sent after the hook does not end it: a test process ignores
        // SIGINT, and its children inherit that.) Without the kill, the run waits out the program.
        let (started, running) = AsyncStream.makeStream(of: Void.self)
        let run = Task {
            try await BuiltProgram.run("/bin/sleep", ["600"]) {
                running.yield()
                try? await Task.sleep(for: .seconds(600))
            }
        }
        for await _ in started { break }
        run.cancel()
        let ended = try await run.value
        #expect(ended.status == SIGKILL)
    }

    @Test func aCancelledHeadKillsItsProgram() async throws {
        let run = Task { try await BuiltProgram.runClosingOutput("/bin/sleep", ["600"], afterLines: 1) }
        run.cancel()
        let ended = try await run.value
        #expect(ended.status == SIGKILL)
    }

    @Test func aProgramThatEndsIsNotSignalledAfterwards() async throws {
        let run = try await BuiltProgram.run("/bin/echo", ["done"])
        #expect(run.status == 0)
        #expect(run.output == "done\n")
    }
}
