import MarketStreamNATS
import Testing

/// How the bus client is set up.
@Suite(.timeLimit(.minutes(1))) struct NATSConnectionTests {
    @Test func aGatewaysBusWritesEachFrameAtOnce() async throws {
        let nats = try await NATSServerProcess.start()
        defer { nats.kill() }
        let options = NATSConnection.Options.gateway(url: nats.url, name: "gw")
        #expect(options.reconnects && options.sendsImmediately)
        let gateway = try await NATSConnection.connect(options)
        try gateway.publish("ms.v1.test", Array(repeating: 7, count: 900))
        #expect(gateway.bufferedBytes == 0, "written, not left for nats.c's flusher")
        await gateway.close()
    }
}
