import MarketStreamCore
import Testing

/// A venue's payload for these tests.
private struct VenueA: NativePayload {
    var flag: String
}

/// Another venue's payload with the same shape.
private struct VenueB: NativePayload {
    var flag: String
}

@Suite struct VenueNeutralModelTests {
    @Test func theNativePayloadIsReachableByItsTypeOnly() {
        let ticker = Ticker(price: 100, volume24h: 5, native: VenueA(flag: "x"))
        #expect(ticker.native(as: VenueA.self) == VenueA(flag: "x"))
        #expect(ticker.native(as: VenueB.self) == nil)
        #expect(Ticker(price: 100).native(as: VenueA.self) == nil)
    }

    @Test func eventsAreEqualOnlyWithEqualNativePayloads() {
        let a = Ticker(price: 100, native: VenueA(flag: "x"))
        #expect(a == Ticker(price: 100, native: VenueA(flag: "x")))
        #expect(a != Ticker(price: 100, native: VenueA(flag: "y")))
        #expect(a != Ticker(price: 100, native: VenueB(flag: "x")), "same fields, another venue")
        #expect(a != Ticker(price: 100))
        #expect(Set([a, Ticker(price: 100, native: VenueA(flag: "x"))]).count == 1)
        let trade = Trade(id: 1, price: 2, size: 3, side: .bid, native: VenueA(flag: "x"))
        #expect(trade == Trade(id: 1, price: 2, size: 3, side: .bid, native: VenueA(flag: "x")))
        #expect(trade != Trade(id: 1, price: 2, size: 3, side: .bid))
        let candle = Candle(
            start: UnixTime(milliseconds: 0), open: 1, high: 2, low: 1, close: 2, volume: 1, quoteVolume: 2)
        #expect(
            candle
                != Candle(
                    start: UnixTime(milliseconds: 60_000), open: 1, high: 2, low: 1, close: 2, volume: 1, quoteVolume: 2
                ))
    }

    @Test func whatAVenueDoesNotSendIsUnknownNotZero() {
        let ticker = Ticker(price: 100)
        #expect(ticker.open == nil && ticker.change == nil && ticker.changeRate == nil && ticker.bestBidPrice == nil)
        #expect(ticker.quoteVolume24h == nil && ticker.lastSize == nil && ticker.volume24h == .zero)
    }

    @Test func aTradeIsOrderedByItsIDAndACandleStartPrintsInUTC() {
        let trade = Trade(id: 17_901_347_420_510_000, price: 1, size: 1, side: .ask)
        let event = MarketEvent(
            exchange: "x", kind: .trade, market: try! MarketCode("KRW-BTC"), stream: .realtime,
            timestamp: UnixTime(milliseconds: 5), receivedAt: UnixTime(milliseconds: 5), generation: .none,
            payload: .trade(trade))
        #expect(event.orderingKey == 17_901_347_420_510_000)
        let candle = Candle(
            start: UnixTime(milliseconds: 1_790_134_740_000), open: 1, high: 1, low: 1, close: 1, volume: 0,
            quoteVolume: 0)
        #expect(candle.startUTC == "2026-09-23T03:39:00")
    }

    @Test(arguments: [
        ("2026-09-23T03:39:00", 0, Int64(1_790_134_740_000)),
        ("2026-09-23 03:39:00", 0, 1_790_134_740_000),
        ("2026-09-23T12:39:00", 9, 1_790_134_740_000),
        ("2026-09-23T03:39:00.123", 0, 1_790_134_740_000),
        ("2024-02-29T00:00:00", 0, 1_709_164_800_000),
    ])
    func isoTimesParse(text: String, offset: Int, milliseconds: Int64) {
        #expect(CivilTime.epochMilliseconds(isoDateTime: text, offsetHours: offset) == milliseconds)
    }

    @Test(arguments: [
        "", "t", "2026-09-23", "2026-13-01T00:00:00", "2026-09-23T25:00:00", "20260923T033900", "2026-09-23T03:39:00x",
        "2026-9-23T03:39:00", "2026-09-23T03:39:0x",
    ])
    func whatIsNotAnISOTimeIsNil(text: String) {
        #expect(CivilTime.epochMilliseconds(isoDateTime: text) == nil)
    }
}
