import Foundation
import NIOCore
import NIOPosix
import Testing

/// How `marketstream-gateway` ends when it cannot do its work: one line on stderr and exit status 1,
/// with no usage dump (that is for bad flags, status 64).
@Suite(.timeLimit(.minutes(2))) struct GatewayFailureTests {
    /// A TCP listener on 127.0.0.1 that accepts connections and never says anything: a NATS server
    /// that never answers (no `INFO`).
    final class SilentListener: Sendable {
        private let channel: any Channel
        let port: Int

        init() async throws {
            channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .childChannelInitializer { $0.eventLoop.makeSucceededVoidFuture() }
                .bind(host: "127.0.0.1", port: 0).get()
            port = channel.localAddress?.port ?? 0
        }

        func close() async { try? await channel.close() }
    }

    static func expectOneLineFailure(_ run: BuiltProgram.Run, starting prefix: String) {
        let lines = run.errors.split(separator: "\n")
        #expect(run.status == 1, "\(run.errors)")
        #expect(lines.count == 1 && lines.first?.hasPrefix("Error: \(prefix)") == true, "\(run.errors)")
    }

    @Test func aNATSServerThatNeverAnswersEndsServeWithOneLine() async throws {
        let silent = try await SilentListener()
        let started = ContinuousClock.now
        let run = try await BuiltProgram.run(
            "marketstream-gateway",
            ["serve", "--nats", "nats://127.0.0.1:\(silent.port)", "--no-dashboard", "--log-level", "error"])
        await silent.close()
        Self.expectOneLineFailure(run, starting: "cannot reach the NATS server at nats://127.0.0.1:\(silent.port)")
        // nats.c's connect timeout, not a hang.
        #expect(started.duration(to: .now) < .seconds(30))
    }

    @Test func aRefusedNATSServerEndsServeWithOneLine() async throws {
        let run = try await BuiltProgram.run(
            "marketstream-gateway", ["serve", "--nats", "nats://127.0.0.1:1", "--no-dashboard"])
        Self.expectOneLineFailure(run, starting: "cannot reach the NATS server at nats://127.0.0.1:1")
    }

    /// A strategy process's router retries a lost gateway for ever; `watch`, with nothing received
    /// yet, gives up after three tries in a row, as `marketstream watch` does with an exchange.
    @Test func aNATSServerThatNeverAnswersEndsWatchWithOneLine() async throws {
        let silent = try await SilentListener()
        let started = ContinuousClock.now
        let run = try await BuiltProgram.run(
            "marketstream-gateway", ["watch", "--nats", "nats://127.0.0.1:\(silent.port)", "--log-level", "error"])
        await silent.close()
        Self.expectOneLineFailure(run, starting: "cannot reach the NATS server at nats://127.0.0.1:\(silent.port)")
        #expect(started.duration(to: .now) < .seconds(60))
    }

    @Test func aRefusedNATSServerEndsWatchWithOneLine() async throws {
        let run = try await BuiltProgram.run(
            "marketstream-gateway", ["watch", "--nats", "nats://127.0.0.1:1", "--log-level", "error"])
        Self.expectOneLineFailure(run, starting: "cannot reach the NATS server at nats://127.0.0.1:1")
    }

    @Test func aFileThatCannotBeReadEndsReplayAndServeRecordingWithOneLine() async throws {
        let missing = try await BuiltProgram.run("marketstream-gateway", ["replay", "--stats", "/nonexistent.msr.zst"])
        Self.expectOneLineFailure(missing, starting: "cannot open /nonexistent.msr.zst")
        let plain = try await BuiltProgram.run("marketstream-gateway", ["replay", "/etc/hostname"])
        #expect(plain.errors.contains("not a MarketStream recording"), "\(plain.errors)")
        Self.expectOneLineFailure(plain, starting: "")
        let served = try await BuiltProgram.run("marketstream-gateway", ["serve-recording", "/etc/hostname"])
        #expect(served.errors.contains("not a MarketStream recording"), "\(served.errors)")
        Self.expectOneLineFailure(served, starting: "")
    }

    /// Numbers too large (or small) to become a duration, and an epoch that would never publish:
    /// usage errors, where they were crashes or a silent gateway.
    @Test(arguments: [
        ["record", "--seconds", "1e300"], ["watch", "--seconds", "1e300"], ["watch", "--seconds", "inf"],
        ["replay", "--speed", "1e-300", "/etc/hostname"], ["serve-recording", "--speed", "1e300", "/etc/hostname"],
        ["replay", "--speed", "nan", "/etc/hostname"], ["serve", "--epoch", "0"], ["watch", "--count", "0"],
    ])
    func absurdNumbersAreUsageErrors(arguments: [String]) async throws {
        let run = try await BuiltProgram.run("marketstream-gateway", arguments)
        #expect(run.status == 64, "\(arguments): \(run.status) \(run.errors)")
        #expect(run.errors.hasPrefix("Error: --"), "\(run.errors)")
    }

    /// Every command reads `--log-level` through one argument type: a name that is not a level is
    /// a usage error that lists the levels, before anything starts.
    @Test(arguments: ["serve", "record", "watch", "serve-recording"])
    func anUnknownLogLevelIsAUsageErrorListingTheLevels(command: String) async throws {
        let arguments = [command, "--log-level", "verbose"] + (command == "serve-recording" ? ["/etc/hostname"] : [])
        let run = try await BuiltProgram.run("marketstream-gateway", arguments)
        #expect(run.status == 64, "\(arguments): \(run.status) \(run.errors)")
        #expect(run.errors.contains("'verbose' is invalid for '--log-level"), "\(run.errors)")
        #expect(run.errors.contains("critical"), "\(run.errors)")
    }

    @Test func aBadFlagStillGetsTheUsageAndStatus64() async throws {
        let run = try await BuiltProgram.run("marketstream-gateway", ["serve", "--nats", "http://example"])
        #expect(run.status == 64)
        #expect(run.errors.hasPrefix("Error: --nats 'http://example' is not a nats:// URL"), "\(run.errors)")
    }
}
