import Logging
import ServiceLifecycle
import Synchronization
import UnixSignals

/// Runs a program's own work next to its long-lived services — the router, an embedded mock
/// exchange, a metrics endpoint — in one ServiceLifecycle `ServiceGroup`.
///
/// The group shuts down gracefully when the job returns or throws, or on SIGINT or SIGTERM.
/// Services stop in reverse order with the job first, so subscriptions end before the router does
/// and the router before the services listed ahead of it. The job's error, if any, is rethrown
/// once everything has stopped.
///
/// ```swift
/// let outcome = try await ServiceProgram.run(services: [router], logger: logger) {
///     for try await event in try router.subscribe(to: .ticker, markets: [btc]) { print(event) }
/// }
/// if case .interrupted = outcome { exit(outcome.exitStatus) }   // 130 after SIGINT, 143 after SIGTERM
/// ```
public enum ServiceProgram {
    /// How the program ended.
    public enum Outcome: Sendable, Hashable {
        /// The job finished.
        case completed
        /// A signal started the shutdown.
        case interrupted(UnixSignal)

        /// The conventional exit status: 0, or 128 + the signal's number (130 for SIGINT, 143 for SIGTERM).
        public var exitStatus: Int32 {
            switch self {
            case .completed: 0
            case .interrupted(let signal): signal == .sigint ? 130 : signal == .sigterm ? 143 : 1
            }
        }
    }

    /// Runs `job` next to `services` until the job ends or a signal arrives.
    /// - Parameters:
    ///   - services: Long-lived services, started in order and stopped in reverse.
    ///   - logger: The group's logger.
    ///   - job: The program's work; it is cancelled when a signal starts the shutdown.
    /// - Returns: Whether the job completed or a signal interrupted it.
    /// - Throws: What the job or a service threw.
    public static func run(
        services: [any Service], logger: Logger, job: @escaping @Sendable () async throws -> Void
    ) async throws -> Outcome {
        // Trapped before any service starts, so a signal during start-up is a shutdown, not death.
        let signals = await UnixSignalsSequence(trapping: .sigint, .sigterm)
        let main = ProgramJob(signals: signals, body: job)
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: services.map { ServiceGroupConfiguration.ServiceConfiguration(service: $0) } + [
                    .init(
                        service: main, successTerminationBehavior: .gracefullyShutdownGroup,
                        failureTerminationBehavior: .gracefullyShutdownGroup)
                ],
                // The job traps SIGINT and SIGTERM itself and ends on them, which shuts the group
                // down: the signal is recorded before anything stops (two listeners raced).
                logger: logger))
        try await group.run()
        let outcome = main.outcome
        if let failure = outcome.failure { throw failure }
        return outcome.signal.map { .interrupted($0) } ?? .completed
    }
}

/// The program's own work as a service: it ends on completion, on its first error, or when a
/// signal starts the graceful shutdown (which it records).
private final class ProgramJob: Service, Sendable {
    struct Record: Sendable {
        var signal: UnixSignal?
        var failure: (any Error)?
    }

    let signals: UnixSignalsSequence
    let body: @Sendable () async throws -> Void
    private let state = Mutex(Record())

    init(signals: UnixSignalsSequence, body: @escaping @Sendable () async throws -> Void) {
        self.signals = signals
        self.body = body
    }

    var outcome: Record { state.withLock { $0 } }

    func run() async throws {
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                for await signal in self.signals {
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
