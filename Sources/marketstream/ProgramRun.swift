import ArgumentParser
import Logging
import MarketStreamRouting
import ServiceLifecycle

/// The CLI's use of ``ServiceProgram``: an interrupted command exits 130 (SIGINT) or 143 (SIGTERM).
enum ProgramRun {
    static func run(
        services: [any Service], logger: Logger, job: @escaping @Sendable () async throws -> Void
    ) async throws {
        let outcome = try await ServiceProgram.run(services: services, logger: logger, job: job)
        if outcome != .completed { throw ExitCode(outcome.exitStatus) }
    }
}
