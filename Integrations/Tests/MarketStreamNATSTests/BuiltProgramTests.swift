import Foundation
import Testing

/// The helper every command test runs its programs through: a test cancelled while a program still
/// runs (by its time limit, say) must end, not wait for the program for ever.
@Suite(.timeLimit(.minutes(1))) struct BuiltProgramTests {
    @Test func aCancelledRunKillsItsProgram() async throws {
        let run = Task { try await BuiltProgram.run("/bin/sleep", ["600"]) }
        // Cancelled once the program surely runs; a cancellation before it starts must kill it too.
        try await Task.sleep(for: .milliseconds(200))
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
