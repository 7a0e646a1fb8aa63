import ArgumentParser
import Logging
import ServiceLifecycle
import Synchronization
import UnixSignals

/// Runs a command's main job next to its long-lived services (the router, an embedded mock
/// exchange, a metrics endpoint) in one `ServiceGroup`.
///
/// The group shuts down gracefully when the job ends (`--count`, `--duration`) or on SIGINT or
/// SIGTERM; services stop in reverse order, so the job ends first and the router ends every
/// subscription before the exchange goes away. An interrupted program exits 130 (SIGINT) or 143
/// (SIGTERM), with no stack dump; an error of the job is rethrown once everything has stopped.
enum ProgramRun {
    static func run(
        services: [any Service], logger: Logger, job: @escaping @Sendable () async throws -> Void
    ) async throws {
        let main = MainJob(body: job)
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: services.map { ServiceGroupConfiguration.ServiceConfiguration(service: $0) } + [
                    .init(
                        service: main, successTerminationBehavior: .gracefullyShutdownGroup,
                        failureTerminationBehavior: .gracefullyShutdownGroup)
                ],
                gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
        if let failure = main.outcome.failure { throw failure }
        if let signal = main.outcome.signal { throw ExitCode(signal == .sigint ? 130 : 143) }
    }
}

/// The command's own work as a service: it ends on completion, on its first error, or when a
/// signal starts the graceful shutdown (which it records for the exit status).
private final class MainJob: Service, Sendable {
    struct Outcome: Sendable {
        var signal: UnixSignal?
        var failure: (any Error)?
    }

    let body: @Sendable () async throws -> Void
    private let state = Mutex(Outcome())

    init(body: @escaping @Sendable () async throws -> Void) {
        self.body = body
    }

    var outcome: Outcome { state.withLock { $0 } }

    func run() async throws {
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                for await signal in await UnixSignalsSequence(trapping: .sigint, .sigterm) {
                    self.state.withLock { $0.signal = $0.signal ?? signal }
                    return
                }
            }
            group.addTask {
                do {
                    try await cancelWhenGracefulShutdown { try await self.body() }
                } catch is CancellationError {
                    // Ended by the shutdown.
                } catch {
                    self.state.withLock { $0.failure = $0.failure ?? error }
                }
            }
            await group.next()
            group.cancelAll()
        }
    }
}
