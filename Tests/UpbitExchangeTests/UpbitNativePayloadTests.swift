import Foundation
import MarketStreamCore
import Testing
import UpbitWire

@testable import UpbitExchange

@Suite struct UpbitNativePayloadTests {
    @Test func anUpbitTickerNormalisesEveryCommonField() {
        let upbit = UpbitTicker(
            tradePrice: 101, openingPrice: 90, highPrice: 110, lowPrice: 80, prevClosingPrice: 100, change: .rise,
            changePrice: 1, signedChangePrice: 1, changeRate: ExactDecimal("0.01")!,
            signedChangeRate: ExactDecimal("0.01")!, tradeVolume: 2, accTradeVolume: 30, accTradeVolume24h: 40,
            accTradePrice: 3_000, accTradePrice24h: 4_000, tradeTimestamp: UnixTime(milliseconds: 7),
            highest52WeekPrice: 200)
        let ticker = upbit.normalised
        #expect(ticker.price == 101 && ticker.lastSize == 2 && ticker.open == 90 && ticker.high == 110)
        #expect(ticker.low == 80 && ticker.previousClose == 100 && ticker.change == 1)
        #expect(ticker.changeRate == ExactDecimal("0.01")! && ticker.volume24h == 40 && ticker.quoteVolume24h == 4_000)
        #expect(ticker.time == UnixTime(milliseconds: 7) && ticker.bestBidPrice == nil)
        #expect(ticker.native(as: UpbitTicker.self) == upbit && UpbitTicker(ticker) == upbit)
    }

    /// The mock serves any normalised ticker in Upbit's dialect: what the normalised ticker lacks
    /// is derived (the change's direction and magnitude, the date strings) or zero.
    @Test func anotherVenuesTickerReadsAsUpbitFields() {
        let ticker = Ticker(
            price: 95, lastSize: 3, open: 100, change: -5, changeRate: ExactDecimal("-0.05")!, volume24h: 12,
            quoteVolume24h: 1_200, time: UnixTime(milliseconds: 1_790_134_742_051))
        let upbit = UpbitTicker(ticker)
        #expect(upbit.tradePrice == 95 && upbit.tradeVolume == 3 && upbit.change == .fall)
        #expect(upbit.changePrice == 5 && upbit.signedChangePrice == -5)
        #expect(upbit.changeRate == ExactDecimal("0.05")! && upbit.signedChangeRate == ExactDecimal("-0.05")!)
        #expect(upbit.prevClosingPrice == 100 && upbit.highPrice == 95 && upbit.accTradePrice24h == 1_200)
        #expect(upbit.tradeDate == "20260923" && upbit.tradeTime == "033902")
        #expect(upbit.normalised.price == ticker.price && upbit.normalised.change == ticker.change)
    }

    @Test func tradesAndCandlesRoundTripThroughTheirNativePayloads() throws {
        let trade = UpbitTrade(
            tradePrice: 5, tradeVolume: 1, side: .ask, sequentialID: 9, prevClosingPrice: 4,
            tradeTimestamp: UnixTime(milliseconds: 3), bestAskPrice: 6)
        #expect(trade.normalised.id == 9 && trade.normalised.side == .ask && trade.normalised.time.milliseconds == 3)
        #expect(UpbitTrade(trade.normalised) == trade)
        let plain = Trade(id: 9, price: 5, size: 1, side: .bid, time: UnixTime(milliseconds: 1_790_134_742_051))
        #expect(UpbitTrade(plain).tradeDate == "2026-09-23" && UpbitTrade(plain).tradeTime == "03:39:02")

        let candle = UpbitCandle(
            startUTC: "2026-09-23T03:39:00", startKST: "2026-09-23T12:39:00", openingPrice: 1, highPrice: 3,
            lowPrice: 1, tradePrice: 2, accTradeVolume: 4, accTradePrice: 8)
        let normalised = try #require(candle.normalised)
        #expect(normalised.start == UnixTime(milliseconds: 1_790_134_740_000) && normalised.close == 2)
        #expect(UpbitCandle(normalised) == candle)
        var stripped = normalised
        stripped.native = nil
        #expect(UpbitCandle(stripped) == candle, "the KST start is derived from the UTC one")
    }

    @Test func aCandleWhoseStartIsNotATimeIsAMalformedFrame() throws {
        let sample = String(decoding: try Samples.bytes("candle-1m.default.json"), as: UTF8.self)
        let text = sample.replacingOccurrences(of: "2026-09-23T03:39:00", with: "yesterday")
        #expect(text != sample)
        do {
            _ = try decode(text)
            Issue.record("a candle without a start time decoded")
        } catch {
            #expect(error.code == .malformedFrame && error.message.contains("candle_date_time_utc"))
        }
    }
}
