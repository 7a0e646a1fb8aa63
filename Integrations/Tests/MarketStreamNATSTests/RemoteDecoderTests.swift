import Foundation
import Logging
import MarketStreamCore
import Testing
import UpbitExchange

@testable import MarketStreamNATS

/// What a remote router gets from a bus message: the venue's events of the message's subject
/// only, stamped with the gateway's receive time.
@Suite struct RemoteDecoderTests {
    let samples = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../../../shared/upbit/samples").standardized

    let receivedAt = UnixTime(nanoseconds: 1_790_134_742_200_000_000)

    /// Decodes the sample `name` as carried on `subject`.
    func decode(sample name: String, on subject: String) throws -> [MarketEvent] {
        let remote = try RemoteExchange(
            venue: try UpbitExchange(logger: Logger(label: "test")), logger: Logger(label: "test"))
        let frame = try Array(Data(contentsOf: samples.appendingPathComponent(name)))
        let payload = BusEnvelope(flags: [], epoch: 1, receivedAt: receivedAt, generation: 1, sequence: 1)
            .message(carrying: frame)
        let message = Array(subject.utf8).withUnsafeBytes { subjectBytes in
            payload.withUnsafeBytes { RemoteFrame.data(subject: subjectBytes, payload: $0) }
        }
        var output = DecodedFrame()
        let context = DecodeContext(
            exchange: "upbit", channel: .public, generation: ConnectionGeneration(1),
            receivedAt: UnixTime(nanoseconds: 1))
        try remote.decode(message, context: context, into: &output)
        return output.events
    }

    @Test func aFrameOnItsOwnSubjectIsDeliveredWithTheGatewaysReceiveTime() throws {
        let events = try decode(sample: "ticker.default.json", on: "ms.v1.upbit.ticker.KRW-BTC")
        #expect(events.count == 1)
        #expect(events.first?.market.rawValue == "KRW-BTC")
        #expect(events.first?.receivedAt == receivedAt)
    }

    @Test func aCandleMatchesItsSubjectTokenWithAnUnderscore() throws {
        let events = try decode(sample: "candle-1m.default.json", on: "ms.v1.upbit.candle_1m.KRW-BTC")
        #expect(events.map(\.kind.family) == ["candle.1m"])
    }

    @Test(arguments: [
        "ms.v1.upbit.ticker.KRW-ETH",  // another market
        "ms.v1.upbit.ticker.KRW-BT",  // a prefix of the market
        "ms.v1.upbit.ticker.KRW-BTCX",  // the market and more
        "ms.v1.upbit.trade.KRW-BTC",  // another kind
        "ms.v1.upbit.tickers.KRW-BTC",  // the kind and more
        "ms.v1.upbit.candle_1m",  // not a data subject
    ])
    func aFrameOnAnotherSubjectIsDropped(subject: String) throws {
        #expect(try decode(sample: "ticker.default.json", on: subject).isEmpty)
    }
}
