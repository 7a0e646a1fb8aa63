import Foundation
import Testing
import TransportTestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// A port that is taken, or one that is free, and what the servers say about it: one line and a
/// non-zero exit for a taken port, 130 and nothing on stderr for Ctrl-C.
@Suite(.serialized, .timeLimit(.minutes(1))) struct ListenTests {
    /// A listening TCP socket on 127.0.0.1 that holds its port until closed.
    final class TakenPort {
        let descriptor: Int32
        let port: Int

        init() throws {
            let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            address.sin_port = 0
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let bound = withUnsafeMutablePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                    bind(descriptor, socketAddress, length) == 0 && listen(descriptor, 1) == 0
                        && getsockname(descriptor, socketAddress, &length) == 0
                }
            }
            try #require(bound, "could not take a port")
            self.descriptor = descriptor
            port = Int(UInt16(bigEndian: address.sin_port))
        }

        deinit { if isOpen { close(descriptor) } }

        private(set) var isOpen = true

        func release() {
            close(descriptor)
            isOpen = false
        }
    }

    @Test func mockServerOnATakenPortSaysSoInOneLineAndExits1() async throws {
        let taken = try TakenPort()
        let result = try await marketstream(["mock-server", "--port", "\(taken.port)"], timeout: .seconds(20))
        #expect(result.status == 1)
        #expect(result.out.isEmpty, "no listening line: \(result.out)")
        #expect(result.err == "Error: cannot listen on 127.0.0.1:\(taken.port): address already in use\n")
    }

    @Test func aTakenMetricsPortEndsMockServerBeforeItAnnouncesAnything() async throws {
        let taken = try TakenPort()
        let result = try await marketstream(
            ["mock-server", "--port", "0", "--metrics-port", "\(taken.port)"], timeout: .seconds(20))
        #expect(result.status == 1)
        #expect(result.out.isEmpty, "no listening line: \(result.out)")
        #expect(result.err == "Error: cannot listen on 127.0.0.1:\(taken.port): address already in use\n")
    }

    @Test func aTakenMetricsPortEndsWatchWithOneLine() async throws {
        let taken = try TakenPort()
        let result = try await marketstream(
            ["watch", "--types", "ticker", "--codes", "KRW-BTC", "--metrics-port", "\(taken.port)"],
            timeout: .seconds(20))
        #expect(result.status == 1)
        #expect(result.err == "Error: cannot listen on 127.0.0.1:\(taken.port): address already in use\n")
    }

    @Test(arguments: [Int32(2), 15])
    func mockServerStopsQuietlyOnASignal(signal: Int32) async throws {
        let status = 128 + signal  // 130 for SIGINT, 143 for SIGTERM
        let metrics = try TakenPort()
        let port = metrics.port
        metrics.release()  // free again, for the server's metrics endpoint
        let server = try await RunningCommand.start(
            ["mock-server", "--port", "0", "--metrics-port", "\(port)"], lines: 2)
        #expect(server.firstLines.hasPrefix("listening on ws://127.0.0.1:"))
        let result = await server.interrupt(with: signal, timeout: .seconds(10))
        #expect(result.reason == .exit)
        #expect(result.status == status)
        #expect(result.err.isEmpty, "a normal stop logs nothing: \(result.err)")
    }

    /// With `--tls-cert`, the announced address is one the certificate names.
    @Test func withTLSTheAnnouncedHostIsOneTheCertificateNames() async throws {
        for (names, host) in [
            (TestCertificates.Name.localhostOnly, "localhost"), (.localhostAndLoopbackIP, "127.0.0.1"),
        ] {
            let certificates = try TestCertificates(names: names)
            let server = try await RunningCommand.start([
                "mock-server", "--port", "0", "--tls-cert", certificates.certificateFile, "--tls-key",
                certificates.keyFile,
            ])
            _ = await server.interrupt(with: SIGINT)
            #expect(server.firstLines.hasPrefix("listening on wss://\(host):"), "\(names)")
        }
    }
}
