import MarketStreamCore
import MarketStreamPlugins
import Testing

/// The example plugins compute exact results through the C ABI.
@Suite struct PluginProcessingTests {
    let btc = try! MarketCode("KRW-BTC")

    @Test func spreadFromTheBestLevel() throws {
        var processor = try BuiltPlugins.load("Spread").makeProcessor(exchange: "upbit", market: btc)
        let book = Orderbook(
            totalAskSize: 3, totalBidSize: 4,
            units: [
                .init(askPrice: 100_001_000, bidPrice: 99_999_000, askSize: ExactDecimal("0.5")!, bidSize: 1),
                .init(askPrice: 100_002_000, bidPrice: 99_998_000, askSize: 1, bidSize: 2),
            ])
        let output = try processor.process(BuiltPlugins.event(.orderbook(depth: .fifteen), .orderbook(book)))
        let spread = try #require(output.onlyCustom)
        #expect(spread.fields.map(\.name) == ["bid", "ask", "spread", "mid", "spread_bps"])
        #expect(spread["bid"] == 99_999_000 && spread["ask"] == 100_001_000)
        #expect(
            spread["spread"] == 2_000 && spread["mid"] == 100_000_000 && spread["spread_bps"] == ExactDecimal("0.2"))
        // A one-sided book has no spread.
        let oneSided = Orderbook(
            totalAskSize: 1, totalBidSize: 0, units: [.init(askPrice: 10, bidPrice: 0, askSize: 1, bidSize: 0)])
        #expect(try processor.process(BuiltPlugins.event(.orderbook, .orderbook(oneSided))).isEmpty)
    }

    @Test func vwapOverARollingMinute() throws {
        var processor = try BuiltPlugins.load("VWAP").makeProcessor(exchange: "upbit", market: btc)
        let first = try processor.process(BuiltPlugins.trade(price: 100, volume: 1, side: .bid, at: 0)).onlyCustom
        #expect(first?["vwap"] == 100 && first?["volume"] == 1 && first?["trades"] == 1)
        let second = try processor.process(BuiltPlugins.trade(price: 110, volume: 3, side: .ask, at: 30_000)).onlyCustom
        #expect(second?["vwap"] == ExactDecimal("107.5") && second?["volume"] == 4 && second?["trades"] == 2)
        // 60 s after the first trade it leaves the window.
        let third = try processor.process(BuiltPlugins.trade(price: 120, volume: 1, side: .bid, at: 60_000)).onlyCustom
        #expect(third?["vwap"] == ExactDecimal("112.5") && third?["volume"] == 4 && third?["trades"] == 2)
    }

    @Test func tradeImbalanceIsExact() throws {
        var processor = try BuiltPlugins.load("TradeImbalance").makeProcessor(exchange: "upbit", market: btc)
        _ = try processor.process(BuiltPlugins.trade(price: 1, volume: ExactDecimal("1.5")!, side: .bid, at: 0))
        let mixed = try processor.process(
            BuiltPlugins.trade(price: 1, volume: ExactDecimal("0.50000001")!, side: .ask, at: 1_000)
        ).onlyCustom
        #expect(mixed?["buy_volume"] == ExactDecimal("1.5") && mixed?["sell_volume"] == ExactDecimal("0.50000001"))
        // (1.5 − 0.50000001) / 2.00000001, rounded toward zero to 6 decimals.
        #expect(mixed?["imbalance"] == ExactDecimal("0.499999") && mixed?["trades"] == 2)
        let later = try processor.process(BuiltPlugins.trade(price: 1, volume: 1, side: .ask, at: 60_500)).onlyCustom
        #expect(later?["buy_volume"] == 0 && later?["sell_volume"] == ExactDecimal("1.50000001"))
        #expect(later?["imbalance"] == -1 && later?["trades"] == 2)
    }

    @Test func tradeImbalanceRefusesToRoundAVolume() throws {
        var processor = try BuiltPlugins.load("TradeImbalance").makeProcessor(exchange: "upbit", market: btc)
        let tiny = ExactDecimal(significand: 1, exponent: -17)
        #expect {
            _ = try processor.process(BuiltPlugins.trade(price: 1, volume: tiny, side: .bid, at: 0))
        } throws: { error in
            let error = error as? MarketStreamError
            return error?.code == .handlerFailed && error?.message.contains("not representable in 16 decimals") == true
        }
        // The failure lost that event only.
        #expect(
            try processor.process(BuiltPlugins.trade(price: 1, volume: 2, side: .bid, at: 1)).onlyCustom?["trades"] == 1
        )
    }

    @Test func failuresAreTypedAndCarryThePluginsMessage() throws {
        let failing = try BuiltPlugins.load("FixtureFailing")
        #expect {
            _ = try failing.makeProcessor(exchange: "upbit", market: try MarketCode("KRW-FAIL"))
        } throws: { error in
            (error as? MarketStreamError)?.message
                == "plugin Failing could not start for KRW-FAIL: this plugin refuses KRW-FAIL"
        }
        var processor = try failing.makeProcessor(exchange: "upbit", market: btc)
        #expect(
            try processor.process(BuiltPlugins.trade(price: 1, volume: 5, side: .bid, at: 0)).onlyCustom?["volume"] == 5
        )
        #expect {
            _ = try processor.process(BuiltPlugins.trade(price: 1, volume: 500, side: .bid, at: 0))
        } throws: { error in
            (error as? MarketStreamError)?.message.contains("volume 100 or more (or not an integer) refused") == true
        }
        // An output with an invalid field name is refused by the host, and the plugin reports it.
        #expect(throws: MarketStreamError.self) {
            _ = try processor.process(BuiltPlugins.trade(price: 1, volume: 7, side: .bid, at: 0))
        }
        #expect(
            try processor.process(BuiltPlugins.trade(price: 1, volume: 6, side: .bid, at: 0)).onlyCustom?["volume"] == 6
        )
    }
}
