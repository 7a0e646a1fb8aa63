import Foundation
import MarketStreamTesting
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Runs a program the build produced next to the test bundle (`marketstream` unless told otherwise),
/// waiting for it on a thread of its own.
func marketstream(
    _ arguments: [String], environment: [String: String] = [:], timeout: Duration = .seconds(60),
    program: String = "marketstream"
) async throws -> (status: Int32, out: String, err: String) {
    try await runOnDedicatedThread {
        try marketstreamBlocking(arguments, environment: environment, timeout: timeout, program: program)
    }
}

/// ``marketstream(_:environment:timeout:program:)``, blocking the calling thread.
private func marketstreamBlocking(
    _ arguments: [String], environment: [String: String], timeout: Duration, program: String
) throws -> (status: Int32, out: String, err: String) {
    let binary =
        program.hasPrefix("/")
        ? URL(fileURLWithPath: program)
        : URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent(program)
    let process = Process()
    process.executableURL = binary
    process.arguments = arguments
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    // Both pipes are drained while the program runs: a program blocked writing to a full pipe
    // would never exit (nor stop on SIGTERM, stuck in the write).
    let collected = PipeDrain(out, err)
    let exit = ProcessExit(of: process)
    try process.run()
    exit.wait(for: process, timeout: timeout)
    let (stdout, stderr) = collected.finish()
    return (process.terminationStatus, String(decoding: stdout, as: UTF8.self), String(decoding: stderr, as: UTF8.self))
}

/// Reads a process's standard output and error to their ends on two background threads, so
/// neither pipe fills while the process runs.
final class PipeDrain: @unchecked Sendable {  // each field is written by one reader, read after `group`
    private var out = Data()
    private var err = Data()
    private let group = DispatchGroup()

    init(_ out: Pipe, _ err: Pipe) {
        DispatchQueue.global().async(group: group) { self.out = out.fileHandleForReading.readDataToEndOfFile() }
        DispatchQueue.global().async(group: group) { self.err = err.fileHandleForReading.readDataToEndOfFile() }
    }

    /// Waits for both pipes to end (the process has exited) and returns what they carried.
    func finish() -> (Data, Data) {
        group.wait()
        return (out, err)
    }
}

@Suite(.serialized) struct CLITests {
    @Test func watchPrintsJSONLinesFromTheEmbeddedMockExchange() async throws {
        let result = try await marketstream([
            "watch", "--types", "ticker,trade", "--codes", "KRW-BTC,KRW-ETH", "--count", "6", "--json",
        ])
        #expect(result.status == 0)
        let lines = result.out.split(separator: "\n")
        #expect(lines.count == 6)
        for line in lines {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            for key in ["exchange", "type", "code", "stream", "timestamp", "received_at", "epoch", "trade_price"] {
                #expect(object[key] != nil, "missing \(key) in \(line)")
            }
            #expect(["ticker", "trade"].contains(object["type"] as? String ?? ""))
            #expect(["KRW-BTC", "KRW-ETH"].contains(object["code"] as? String ?? ""))
            if object["type"] as? String == "ticker" {
                // Upbit's own fields come from the event's native payload (the mock's 52-week high
                // is twice the day's high), not from the normalised ticker, which has none.
                let high = try #require((object["highest_52_week_price"] as? NSNumber)?.doubleValue)
                let price = try #require((object["trade_price"] as? NSNumber)?.doubleValue)
                #expect(high > price && object["lowest_52_week_date"] as? String == "2026-06-02")
            }
        }
        // Keys come in the contract's order.
        let first = String(lines[0])
        #expect(first.hasPrefix(#"{"exchange":"mock","type":"#))
    }

    @Test(arguments: [
        ["watch", "--codes", "krw-btc"], ["watch", "--types", "tickr"], ["watch", "--count", "0"],
        ["watch", "--types", "orderbook.0"], ["watch", "--endpoint", "http://x"], ["watch", "--bogus"],
        ["mock-server", "--port", "70000"], ["mock-server", "--access-key", "only-one"],
        // Non-finite and absurd numbers are usage errors, not crashes.
        ["watch", "--duration", "nan"], ["watch", "--duration", "inf"], ["watch", "--duration", "1e300"],
        ["watch", "--health-interval", "nan"], ["mock-server", "--idle-timeout", "inf"],
        ["mock-server", "--drop-every", "nan"], ["spread-monitor", "--duration", "nan"],
        ["spread-monitor", "--interval", "inf"], ["momentum-trader", "--duration", "inf"],
        ["momentum-trader", "--outage-for", "nan"], ["momentum-trader", "--threshold", "nan"],
        ["watch", "--exchange", "bithumb", "--mock", "--endpoint", "ws://127.0.0.1:1"],
        ["watch", "--exchange", "kraken"], ["watch", "--exchange", "bithumb", "--mock", "--types", "candle.1m"],
        ["watch", "--exchange", "mock,bithumb"],
        ["watch", "--exchange", "upbit,bithumb", "--endpoint", "ws://127.0.0.1:1"],
    ])
    func badInputIsOneLineAndANonZeroExit(arguments: [String]) async throws {
        let isExample = ["spread-monitor", "momentum-trader"].contains(arguments[0])
        let result =
            isExample
            ? try await marketstream(Array(arguments.dropFirst()), program: arguments[0])
            : try await marketstream(arguments)
        #expect(result.status != 0)
        #expect(result.out.isEmpty)
        #expect(result.err.split(separator: "\n").first?.hasPrefix("Error: ") == true)
    }

    @Test(arguments: ["bithumb", "upbit-sg"])
    func aVenueRunsItsDialectAgainstTheEmbeddedMock(venue: String) async throws {
        let result = try await marketstream([
            "watch", "--exchange", venue, "--mock", "--types", "ticker,trade,orderbook", "--count", "6", "--json",
        ])
        #expect(result.status == 0, "\(result.err)")
        let objects = result.out.split(separator: "\n").compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any]
        }
        #expect(objects.count == 6 && objects.allSatisfy { $0["exchange"] as? String == venue })
        for book in objects where book["type"] as? String == "orderbook" {
            let levels = (book["orderbook_units"] as? [Any])?.count ?? 0
            #expect(venue == "bithumb" ? levels == 15 : levels == 30)
        }
    }

    @Test func severalVenuesShareOneRouter() async throws {
        let result = try await marketstream([
            "watch", "--exchange", "upbit,bithumb", "--mock", "--types", "orderbook", "--count", "8", "--json",
        ])
        #expect(result.status == 0, "\(result.err)")
        var levels: [String: Set<Int>] = [:]
        for line in result.out.split(separator: "\n") {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let venue = try #require(object["exchange"] as? String)
            levels[venue, default: []].insert((object["orderbook_units"] as? [Any])?.count ?? 0)
        }
        #expect(levels == ["upbit": [30], "bithumb": [15]], "each venue's books, at its own depth")
    }

    @Test func binanceLinesCarryTheNormalisedFieldsInSnakeCase() async throws {
        let result = try await marketstream([
            "watch", "--exchange", "binance", "--mock", "--types", "ticker,trade,orderbook.5", "--codes", "USDT-BTC",
            "--count", "9", "--json",
        ])
        #expect(result.status == 0, "\(result.err)")
        let objects = result.out.split(separator: "\n").compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any]
        }
        #expect(objects.count == 9 && objects.allSatisfy { $0["exchange"] as? String == "binance" })
        #expect(objects.allSatisfy { $0["code"] as? String == "USDT-BTC" && $0["trade_price"] == nil })
        for object in objects {
            switch object["type"] as? String {
            case "ticker":
                #expect(object["price"] is NSNumber && object["volume_24h"] is NSNumber)
                #expect((object["best_ask_price"] as? Double ?? 0) > (object["best_bid_price"] as? Double ?? 0))
            case "trade":
                #expect(["buy", "sell"].contains(object["side"] as? String) && object["id"] is NSNumber)
            case "orderbook.5":
                #expect((object["bids"] as? [[Any]])?.count == 5 && object["sequence"] is NSNumber)
            default:
                Issue.record("unexpected line \(object)")
            }
        }
    }

    @Test(arguments: [
        ["--types", "orderbook.15"], ["--types", "myAsset"], ["--types", "candle.10m"],
    ])
    func whatBinanceDoesNotServeIsOneLine(flags: [String]) async throws {
        let result = try await marketstream(["watch", "--exchange", "binance", "--mock", "--count", "1"] + flags)
        #expect(result.status != 0)
        #expect(result.err.split(separator: "\n").count == 1 && result.err.hasPrefix("Error: "), "\(result.err)")
    }

    @Test func anUnreachableEndpointFailsWithOneLine() async throws {
        let result = try await marketstream([
            "watch", "--exchange", "upbit", "--endpoint", "ws://127.0.0.1:1", "--count", "1",
        ])
        #expect(result.status != 0)
        #expect(result.err.split(separator: "\n").last?.hasPrefix("Error: cannot stream from ws://127.0.0.1:1") == true)
    }

    @Test func theMockServerAnnouncesItsEndpointFirst() async throws {
        let server = try await RunningCommand.start(["mock-server", "--port", "0"], lines: 2)
        _ = await server.interrupt(with: SIGINT)
        let text = server.firstLines
        let lines = text.split(separator: "\n")
        #expect(lines.first?.hasPrefix("listening on ws://127.0.0.1:") == true)
        #expect(lines.dropFirst().first?.hasPrefix("rest http://127.0.0.1:") == true)
    }
}

/// `--health-interval` and `--metrics-port`.
@Suite struct CLIObservabilityTests {
    @Test func healthSnapshotsAreJSONLinesOnStandardError() async throws {
        let result = try await marketstream(["watch", "--json", "--duration", "2.5", "--health-interval", "0.5"])
        #expect(result.status == 0, "\(result.err)")
        let snapshots = result.err.split(separator: "\n").compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any]
        }
        #expect(snapshots.count >= 3, "\(result.err)")
        let last = try #require(snapshots.last)
        #expect(last["status"] as? String == "healthy")
        let channels = try #require(last["channels"] as? [[String: Any]])
        let publicChannel = try #require(channels.first { $0["channel"] as? String == "public" })
        #expect(publicChannel["state"] as? String == "streaming" && publicChannel["mode"] as? String == "stream")
        #expect((publicChannel["messages"] as? Int ?? 0) > 0 && publicChannel["upstream_topics"] as? Int == 1)
        #expect(publicChannel["handler_failures"] as? Int == 0, "plugin failures are counted in the line")
        #expect(!result.out.isEmpty, "events still go to stdout")
    }

    /// On a terminal (a pty from util-linux `script`), the live table redraws on its own: with no
    /// events at all (an account with no orders), it is still drawn about four times a second.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/script")))
    func theLiveTableRedrawsWithoutEvents() async throws {
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
            .appendingPathComponent("marketstream").path
        let result = try await marketstream(
            ["-qc", "\(binary) watch --types myOrder --duration 2", "/dev/null"], timeout: .seconds(30),
            program: "/usr/bin/script")
        let redraws = result.out.components(separatedBy: "\u{1B}[H\u{1B}[2J").count - 1
        #expect(result.status == 0)
        #expect(redraws >= 5, "\(redraws) redraws in 2 s")
        #expect(result.out.contains("private: streaming"), "the channel's state is on the screen")
    }

    @Test func theLogLevelComesFromTheFlagOrTheEnvironment() async throws {
        let quiet = try await marketstream(["watch", "--json", "--count", "2"])
        #expect(quiet.status == 0 && quiet.err.isEmpty, "warning by default: \(quiet.err)")
        let chatty = try await marketstream(
            ["watch", "--json", "--count", "2"], environment: ["MARKETSTREAM_LOG_LEVEL": "debug"])
        #expect(chatty.status == 0 && chatty.err.contains("debug marketstream.watch"), "\(chatty.err.prefix(300))")
        let flag = try await marketstream(
            ["watch", "--json", "--count", "2", "--log-level", "warning"],
            environment: ["MARKETSTREAM_LOG_LEVEL": "debug"])
        #expect(flag.status == 0 && flag.err.isEmpty, "the flag wins: \(flag.err.prefix(300))")
        let bad = try await marketstream(["watch", "--count", "1"], environment: ["MARKETSTREAM_LOG_LEVEL": "loud"])
        #expect(bad.status != 0)
        #expect(
            bad.err
                == "Error: MARKETSTREAM_LOG_LEVEL must be one of trace, debug, info, notice, warning, error, critical, not 'loud'\n"
        )
    }

    @Test func theMockServerServesPrometheusMetrics() async throws {
        let port = Int.random(in: 20_000..<60_000)
        // It announces itself once its metrics endpoint listens too.
        let server = try await RunningCommand.start(
            ["mock-server", "--port", "0", "--rate", "200", "--metrics-port", String(port)], lines: 2)
        let text = await runOnDedicatedThread {
            (try? String(contentsOf: URL(string: "http://127.0.0.1:\(port)/metrics")!, encoding: .utf8)) ?? ""
        }
        _ = await server.interrupt(with: SIGINT)
        #expect(text.contains("# TYPE mock_exchange_events_published counter"), "\(text)")
        #expect(text.contains("mock_exchange_connections"))
    }

    @Test func badObservabilityFlagsFailInOneLine() async throws {
        for arguments in [
            ["watch", "--metrics-port", "0"], ["watch", "--health-interval", "0"], ["watch", "--log-level", "loud"],
            ["mock-server", "--log-level", "verbose"],
        ] {
            let result = try await marketstream(arguments)
            #expect(result.status != 0 && result.err.split(separator: "\n").count == 1, "\(arguments)")
        }
    }
}

/// `--plugin` and `plugins inspect` with the libraries this build produced (next to the binary).
@Suite(.serialized) struct CLIPluginTests {
    let directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().path

    @Test func watchPrintsSpreadEventsFromTheSpreadPlugin() async throws {
        let result = try await marketstream([
            "watch", "--plugin", directory + "/libSpread.so", "--types", "spread", "--codes", "KRW-BTC", "--json",
            "--count", "3",
        ])
        #expect(result.status == 0, "\(result.err)")
        let lines = result.out.split(separator: "\n")
        #expect(lines.count == 3)
        for line in lines {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            #expect(object["type"] as? String == "spread" && object["code"] as? String == "KRW-BTC")
            let bid = try #require(object["bid"] as? NSNumber).decimalValue
            let ask = try #require(object["ask"] as? NSNumber).decimalValue
            let spread = try #require(object["spread"] as? NSNumber).decimalValue
            #expect(ask - bid == spread && spread > 0)
        }
    }

    @Test func pluginNamesResolveThroughTheSearchPath() async throws {
        let result = try await marketstream(
            [
                "watch", "--plugin", "TradeImbalance", "--plugin", "VWAP", "--types", "imbalance,vwap", "--codes",
                "KRW-ETH", "--json", "--count", "4",
            ], environment: ["MARKETSTREAM_PLUGIN_PATH": "/nonexistent:" + directory])
        #expect(result.status == 0, "\(result.err)")
        let types = Set(
            result.out.split(separator: "\n").compactMap { line in
                (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["type"] as? String
            })
        #expect(types.isSubset(of: ["imbalance", "vwap"]) && !types.isEmpty)
    }

    @Test func inspectDescribesAPlugin() async throws {
        let result = try await marketstream(["plugins", "inspect", "--json", directory + "/libTradeImbalance.so"])
        #expect(result.status == 0)
        let object = try #require(
            try JSONSerialization.jsonObject(with: Data(result.out.utf8)) as? [String: Any])
        #expect(object["name"] as? String == "TradeImbalance" && object["version"] as? String == "1.0.0")
        #expect(object["abi_version"] as? Int == 1 && object["produces"] as? String == "imbalance")
        #expect(object["consumes"] as? [String] == ["trade"])
        let text = try await marketstream(["plugins", "inspect", directory + "/libSpread.so"])
        #expect(text.out.contains("name:     Spread") && text.out.contains("consumes: orderbook"))
    }

    @Test func loaderErrorsAreOneLineAndANonZeroExit() async throws {
        let cases: [([String], String)] = [
            (["watch", "--plugin", "/nonexistent/libX.so", "--types", "x"], "no such file"),
            (["watch", "--plugin", directory + "/libFixtureWrongABI.so", "--types", "broken"], "ABI version mismatch"),
            (["watch", "--plugin", directory + "/libSpread.so", "--types", "vwap"], "unknown type 'vwap'"),
            (["watch", "--types", "spread"], "unknown type 'spread'"),
            (
                ["plugins", "inspect", directory + "/libFixtureNoEntry.so"],
                "entry symbol 'marketstream_plugin_entry' missing"
            ),
            (["plugins", "inspect", directory + "/libFixtureNullFunction.so"], "function pointer is null"),
        ]
        for (arguments, expected) in cases {
            let result = try await marketstream(arguments)
            #expect(result.status != 0, "\(arguments)")
            #expect(result.out.isEmpty, "\(arguments)")
            let lines = result.err.split(separator: "\n")
            #expect(lines.count == 1 && lines[0].contains(expected), "\(arguments): \(result.err)")
        }
    }
}

/// Smoke tests of the example programs against the embedded mock exchange.
@Suite(.serialized) struct ExampleTests {
    @Test func spreadMonitorShowsASpreadPerMarket() async throws {
        let result = try await marketstream(
            ["--codes", "KRW-BTC,KRW-ETH", "--duration", "1.5", "--interval", "0.5"], program: "spread-monitor")
        #expect(result.status == 0, "\(result.err)")
        let lastTable = try #require(result.out.components(separatedBy: "\n\n").last(where: { !$0.isEmpty }))
        let rows = lastTable.split(separator: "\n").filter { $0.hasPrefix("KRW-") }
        #expect(rows.count == 2)
        for row in rows {
            let columns = row.split(separator: " ")
            let bid = try #require(Decimal(string: String(columns[1])))
            let ask = try #require(Decimal(string: String(columns[2])))
            let spread = try #require(Decimal(string: String(columns[3])))
            #expect(ask - bid == spread && spread > 0, "\(row)")
        }
        #expect(lastTable.hasPrefix("Spread 1.0.0 via dlopen"))
    }

    @Test func multiComponentShowsEveryUpstreamStateOnOneConnection() async throws {
        let result = try await marketstream([], program: "multi-component")
        #expect(result.status == 0, "\(result.err)")
        let upstream = result.out.split(separator: "\n").filter { $0.contains("upstream: {") }
        let sets = upstream.map { line in String(line[line.firstIndex(of: "{")!...line.firstIndex(of: "}")!]) }
        #expect(sets == ["{KRW-BTC}", "{KRW-BTC, KRW-ETH, KRW-XRP}", "{KRW-BTC, KRW-ETH}", "{KRW-ETH}"])
        #expect(upstream.allSatisfy { $0.contains("(connection 1,") })
        #expect(result.out.contains("chart <- snapshot ticker KRW-BTC") || result.out.contains("chart <- realtime"))
        #expect(result.out.contains("coin list <- snapshot KRW-XRP"))
        #expect(result.out.hasSuffix("done: one shared connection, 0 reconnects\n"))
    }

    @Test func kimchiPremiumComparesThreeVenuesThroughOneRouter() async throws {
        let result = try await marketstream(["--duration", "3", "--interval", "0.5"], program: "kimchi-premium")
        #expect(result.status == 0, "\(result.err)")
        let tables = result.out.components(separatedBy: "\n\n").filter { $0.hasPrefix("kimchi premium") }
        let last = try #require(tables.last, "\(result.out)")
        let lines = last.split(separator: "\n")
        #expect(lines.contains { $0.hasPrefix("upbit    KRW-BTC") && $0.contains("premium ") && $0.hasSuffix(" %") })
        #expect(lines.contains { $0.hasPrefix("bithumb  KRW-BTC") && $0.contains("premium ") && $0.hasSuffix(" %") })
        #expect(lines.contains { $0.hasPrefix("binance  USDT-BTC") && $0.hasSuffix(" KRW") && $0.contains(" USDT") })
        #expect(lines.contains { $0.hasPrefix("upbit    KRW-USDT") && $0.hasSuffix(" KRW") })
        #expect(!last.contains("waiting"), "every venue delivered: \(last)")
    }

    @Test func mockServerRejectsBadBinanceFlagsInOneLine() async throws {
        for flags in [["--binance-lifetime", "nan"], ["--binance-streams", "0"], ["--binance-gap-every", "0"]] {
            let result = try await marketstream(["mock-server"] + flags)
            #expect(result.status != 0 && result.err.split(separator: "\n").count == 1, "\(flags): \(result.err)")
        }
    }

    @Test func kimchiPremiumRejectsBadFlagsInOneLine() async throws {
        for flags in [["--exchange", "bogus"], ["--interval", "nan"], ["--duration", "-1"]] {
            let result = try await marketstream(flags, program: "kimchi-premium")
            #expect(result.status != 0 && result.err.contains("Error:"), "\(flags): \(result.err)")
        }
    }

    @Test func twoExchangesFeedOneStrategyThroughBothProtocolStyles() async throws {
        let result = try await marketstream(["--codes", "KRW-BTC", "--trades", "2"], program: "two-exchanges")
        #expect(result.status == 0, "\(result.err)")
        let lines = result.out.split(separator: "\n")
        let summaries = lines.filter { $0.contains(": 2 trades, volume ") }
        #expect(summaries.count == 2)
        #expect(
            summaries.contains { $0.hasPrefix("upbit-style:") }
                && summaries.contains { $0.hasPrefix("binance-style:") })
        #expect(lines.contains { $0.hasPrefix("binance-style/public: streaming") })
        #expect(lines.contains { $0.hasPrefix("upbit-style/public: streaming") })
    }

    @Test func momentumTraderTradesThroughAPrivateStreamOutage() async throws {
        let result = try await marketstream(
            ["--duration", "12", "--threshold", "0", "--lookback", "3", "--outage-at", "2", "--outage-for", "2"],
            timeout: .seconds(60), program: "momentum-trader")
        #expect(result.status == 0, "\(result.err)")
        let lines = result.out.split(separator: "\n").map(String.init)
        #expect(lines.first?.hasPrefix("momentum-trader: KRW-BTC, KRW-ETH on mock") == true)
        #expect(lines.contains { $0.contains("outage: the private stream now rejects the key") })
        let modes = lines.filter { $0.contains("private channel: ") && $0.hasPrefix("[") }
        #expect(modes.first?.hasSuffix("private channel: rest-polling") == true, "\(modes)")
        #expect(modes.last?.hasSuffix("private channel: stream") == true, "\(modes)")
        #expect(lines.contains { $0.contains("BUY  KRW-") }, "a zero threshold buys on the first rise")
        #expect(lines.contains { $0.contains(" fill  KRW-") })
        #expect(
            lines.contains { $0.hasPrefix("  PnL: ") && $0.hasSuffix("KRW since the first signal (fees included)") })
        #expect(lines.contains { $0.hasPrefix("  orders: ") && !$0.hasPrefix("  orders: 0 placed") })
    }

    @Test func momentumTraderRefusesRealOrdersWithoutLive() async throws {
        let result = try await marketstream(["--exchange", "upbit"], program: "momentum-trader")
        #expect(result.status != 0 && result.err.contains("--live"))
    }

    @Test func spreadMonitorReportsAMissingPluginInOneLine() async throws {
        let result = try await marketstream(["--plugin", "/nonexistent/libSpread.so"], program: "spread-monitor")
        #expect(result.status != 0 && result.out.isEmpty)
        #expect(result.err.split(separator: "\n").count == 1 && result.err.contains("no such file"))
    }
}
