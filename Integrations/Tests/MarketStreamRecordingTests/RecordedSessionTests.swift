import Foundation
import MarketStreamCore
import MarketStreamRecording
import MarketStreamRouting
import MockExchange
import Testing
import UpbitExchange

/// A real session against the mock exchange over loopback, with a dropped connection, recorded.
@Suite(.timeLimit(.minutes(1))) struct RecordedSessionTests {
    /// Records a mock session over loopback: tickers of KRW-BTC, a dropped connection, tickers again.
    /// - Returns: The venue module (the decoder) and the recording's path.
    static func recordMockSession(into directory: String) async throws -> (UpbitExchange, String) {
        try await MarketStreamRecordingTests.recordMockSession(
            into: directory, mock: MockExchangeConfiguration(updatesPerSecond: 20)
        ) { mock, router in
            var events = try router.subscribe(to: .ticker, markets: [MarketCode(validated: "KRW-BTC")])
                .makeAsyncIterator()
            // Streaming, then the exchange drops the connection, then streaming again.
            var first: ConnectionGeneration?
            var later = 0
            while later < 5, let event = try await events.next() {
                guard case .market(let market) = event else { continue }
                if first == nil {
                    first = market.generation
                    mock.dropConnections()
                } else if market.generation > first! {
                    later += 1
                }
            }
        }
    }

    @Test func aSessionWithADropIsRecordedWithItsConnectionsAndMessages() async throws {
        try await withTemporaryDirectory { directory in
            let (upbit, file) = try await Self.recordMockSession(into: directory)
            var kinds: [RecordKind] = []
            var sent: [String] = []
            var reasons: [String] = []
            try RecordingReader(path: file).read { record in
                if kinds.last != record.kind || record.kind != .frame { kinds.append(record.kind) }
                if record.kind == .sent { sent.append(String(decoding: record.bytes, as: UTF8.self)) }
                if record.kind == .disconnected { reasons.append(String(decoding: record.bytes, as: UTF8.self)) }
            }
            // opened, subscribed, frames, closed; opened again, subscribed again (the restore), frames.
            #expect(Array(kinds.prefix(7)) == [.connected, .sent, .frame, .disconnected, .connected, .sent, .frame])
            #expect(sent.count >= 2 && sent.allSatisfy { $0.contains("KRW-BTC") }, "\(sent)")
            #expect(reasons.count >= 1, "why the first connection ended is recorded")

            let statistics = try RecordingStatistics.collect([file], decoder: upbit)
            #expect(statistics.reconnects >= 1)
            #expect(statistics.events["ticker KRW-BTC", default: 0] > 0)
            #expect(statistics.undecodableFrames == 0)
        }
    }
}
