import Foundation
import MarketStreamNATS
import Testing

/// The tests' own `nats-server`s: each test must get a server of its own, never another test's.
@Suite(.timeLimit(.minutes(1))) struct NATSServerProcessTests {
    @Test func aServerOnATakenPortFailsInsteadOfPassingForTheOneThere() async throws {
        let first = try await NATSServerProcess.start()
        defer { first.kill() }
        await #expect(throws: NATSError.self) { try await NATSServerProcess.start(port: first.port) }
    }

    @Test func aKilledServerStartsAgainOnItsPort() async throws {
        let server = try await NATSServerProcess.start()
        defer { server.kill() }
        server.kill()
        #expect(try await server.launch())
        let connection = try await NATSConnection.connect(.init(url: server.url, name: "probe"))
        await connection.close()
    }

    /// The README starts the bus on one Go thread; the test of its commands does the same.
    @Test func aServerAskedForOneGoThreadRunsWithGOMAXPROCSOne() async throws {
        let server = try await NATSServerProcess.start(goThreads: 1)
        defer { server.kill() }
        let pid = try #require(server.processIdentifier)
        let environment = try Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/environ"))
        let variables = environment.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
        #expect(variables.contains("GOMAXPROCS=1"))
    }
}
