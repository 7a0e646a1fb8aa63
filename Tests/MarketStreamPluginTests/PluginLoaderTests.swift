import MarketStreamCore
import MarketStreamPlugins
import Testing

@Suite struct PluginLoaderTests {
    @Test func theExamplePluginsDescribeThemselves() throws {
        let spread = try BuiltPlugins.load("Spread")
        #expect(spread.name == "Spread" && spread.version == "1.0.0" && spread.abiVersion == 1)
        #expect(spread.producedKind.description == "spread" && spread.consumedKinds == [.orderbook])
        #expect(spread.description == "Spread 1.0.0 (ABI 1): produces spread from orderbook")
        let vwap = try BuiltPlugins.load("VWAP")
        #expect(vwap.producedKind.description == "vwap" && vwap.consumedKinds == [.trade])
        let imbalance = try BuiltPlugins.load("TradeImbalance")
        #expect(imbalance.name == "TradeImbalance" && imbalance.producedKind.description == "imbalance")
        #expect(imbalance.consumedKinds == [.trade])
    }

    @Test func namesResolveThroughTheSearchPath() throws {
        let loader = PluginLoader(environment: ["MARKETSTREAM_PLUGIN_PATH": "/nonexistent:" + BuiltPlugins.directory])
        #expect(loader.searchPath == ["/nonexistent", BuiltPlugins.directory])
        #expect(try loader.resolve("VWAP") == BuiltPlugins.directory + "/libVWAP.so")
        #expect(try loader.load("Spread").name == "Spread")
        #expect(PluginLoader(environment: [:]).searchPath.isEmpty)
    }

    @Test func loadingTheSameLibraryTwiceGivesWorkingHandlers() throws {
        let first = try BuiltPlugins.load("TradeImbalance")
        let second = try BuiltPlugins.load("TradeImbalance")
        var a = try first.makeProcessor(exchange: "upbit", market: try MarketCode("KRW-BTC"))
        var b = try second.makeProcessor(exchange: "upbit", market: try MarketCode("KRW-BTC"))
        let trade = BuiltPlugins.trade(price: 100, volume: 2, side: .bid, at: 1_000)
        #expect(try a.process(trade).onlyCustom?["buy_volume"] == 2)
        #expect(try b.process(trade).onlyCustom?["buy_volume"] == 2)
        #expect(try a.process(trade).onlyCustom?["buy_volume"] == 4)  // separate per-instance state
    }
}
