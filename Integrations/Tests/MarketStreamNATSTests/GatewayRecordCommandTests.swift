import Foundation
import MarketStreamCore
import MarketStreamRouting
import Testing

/// `marketstream-gateway record` and `replay --stats`, as a user runs them.
@Suite(.timeLimit(.minutes(2))) struct GatewayRecordCommandTests {
    /// Runs the gateway executable; once `interruptWhen` holds, it gets SIGINT. What a file on disk
    /// shows can only be polled: checked every 50 ms, for 30 s at most.
    static func gateway(
        _ arguments: [String], interruptWhen: (@Sendable () -> Bool)? = nil
    ) async throws -> BuiltProgram.Run {
        let interruptAfter = interruptWhen.map { condition in
            { @Sendable () async -> Void in
                let deadline = ContinuousClock.now + .seconds(30)
                while !condition(), ContinuousClock.now < deadline {
                    guard (try? await Task.sleep(for: .milliseconds(50))) != nil else { return }
                }
            }
        }
        return try await BuiltProgram.run("marketstream-gateway", arguments, interruptAfter: interruptAfter)
    }

    static func files(under directory: String) -> [String] {
        (FileManager.default.enumerator(atPath: directory)?.compactMap { $0 as? String } ?? [])
            .filter { $0.hasSuffix(".msr.zst") || $0.hasSuffix(".partial") }.sorted()
            .map { "\(directory)/\($0)" }
    }

    /// Whether `files` are one short run's finished recordings: one file, or two of consecutive
    /// hours when the run crossed an hour boundary (the recorder starts a file per UTC hour).
    static func isOneRun(_ files: [String]) -> Bool {
        guard files.allSatisfy({ $0.hasSuffix(".msr.zst") }) else { return false }
        if files.count == 1 { return true }
        guard files.count == 2 else { return false }
        // `<yyyy-MM-dd>/<HH>.msr.zst`, sorted: 23 then 00 of the next day, or one hour then the next.
        let hours = files.map { Int(URL(fileURLWithPath: $0).lastPathComponent.dropLast(".msr.zst".count)) }
        guard let first = hours[0], let second = hours[1] else { return false }
        return second == (first + 1) % 24
    }

    static func temporaryDirectory() -> String {
        NSTemporaryDirectory() + "record-\(UInt64.random(in: 0 ... .max))"
    }

    /// Records `types` of `codes` from the embedded mock for `seconds` into `directory`.
    /// - Returns: The recording files.
    static func recordMock(into directory: String, types: String, codes: String, seconds: Int) async throws -> [String]
    {
        let record = try await gateway([
            "record", "--dir", directory, "--types", types, "--codes", codes, "--seconds", "\(seconds)",
            "--log-level", "error",
        ])
        #expect(record.status == 0, "\(record.errors)")
        #expect(record.output.hasPrefix("recorder: recording, "), "\(record.output)")
        return files(under: directory)
    }

    /// The events of `kinds` that `replay --stats` printed (`ticker KRW-BTC 42` lines).
    static func events(of kinds: Set<String>, inStats output: String) -> Int {
        output.split(separator: "\n").compactMap { line -> Int? in
            let fields = line.split(separator: " ")
            return fields.count == 3 && kinds.contains(String(fields[0])) ? Int(fields[2]) : nil
        }.reduce(0, +)
    }

    @Test func aShortRunIsOneFileOrTwoAcrossAnHour() {
        let day = "/tmp/r/mock/2026-12-04"
        #expect(Self.isOneRun(["\(day)/13.msr.zst"]))
        #expect(Self.isOneRun(["\(day)/13.msr.zst", "\(day)/14.msr.zst"]))
        #expect(Self.isOneRun(["\(day)/23.msr.zst", "/tmp/r/mock/2026-12-05/00.msr.zst"]))
        #expect(!Self.isOneRun([]))
        #expect(!Self.isOneRun(["\(day)/13.msr.zst.partial"]), "an unfinished file")
        #expect(!Self.isOneRun(["\(day)/13-1.msr.zst", "\(day)/13.msr.zst"]), "two files of one hour")
        #expect(!Self.isOneRun(["\(day)/13.msr.zst", "\(day)/15.msr.zst"]))
        #expect(!Self.isOneRun(["\(day)/12.msr.zst", "\(day)/13.msr.zst", "\(day)/14.msr.zst"]))
    }

    @Test func recordThenReplayStatsShowsWhatTheMockSent() async throws {
        let directory = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let files = try await Self.recordMock(
            into: directory, types: "ticker,trade", codes: "KRW-BTC,KRW-ETH", seconds: 2)
        #expect(Self.isOneRun(files), "\(files)")

        let stats = try await Self.gateway(["replay", "--stats"] + files)
        #expect(stats.status == 0, "\(stats.errors)")
        #expect(stats.output.contains("mock (mock), recorded by marketstream-gateway record"), "\(stats.output)")
        for key in ["ticker KRW-BTC", "ticker KRW-ETH", "trade KRW-BTC", "trade KRW-ETH"] {
            #expect(stats.output.contains(key), "\(key) in \(stats.output)")
        }
        #expect(stats.output.contains("records missing: 0"))

        // Replayed through a router: every recorded event, and the set the recording names.
        let frames = Self.events(of: ["ticker", "trade"], inStats: stats.output)
        let replay = try await Self.gateway(["replay"] + files)
        #expect(replay.status == 0, "\(replay.errors)")
        // The summary line alone, so a failure shows which figure differed (the whole output is
        // too long for the report).
        let summary = replay.output.split(separator: "\n").last.map(String.init)
        #expect(summary == "replayed \(frames) events; subscription mismatches: 0", "stats counted \(frames)")
        #expect(replay.output.contains("ticker KRW-BTC "))
    }

    /// The receive times (ms) of the events `replay` printed (`… received=1796461662703ms` lines).
    static func receivedTimes(_ output: String) -> [Int64] {
        output.split(separator: "\n").compactMap { line in
            guard let range = line.range(of: "received=") else { return nil }
            return Int64(line[range.upperBound...].dropLast(2))
        }
    }

    @Test func replayFromAndToKeepTheEventsReceivedInTheirRange() async throws {
        let directory = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let files = try await Self.recordMock(
            into: directory, types: "ticker,trade", codes: "KRW-BTC,KRW-ETH", seconds: 3)
        let all = Self.receivedTimes(try await Self.gateway(["replay"] + files).output).sorted()
        try #require(all.count >= 6, "\(all)")
        // A printed time from the middle: `--from` keeps what came in its millisecond or later,
        // `--to` what came up to the end of it.
        let middle = all[all.count / 2]
        let from = try await Self.gateway(["replay", "--from", "\(middle)"] + files)
        let to = try await Self.gateway(["replay", "--to", "\(middle)"] + files)
        #expect(from.status == 0 && to.status == 0, "\(from.errors) \(to.errors)")
        #expect(Self.receivedTimes(from.output).sorted() == all.filter { $0 >= middle }, "\(from.output)")
        #expect(Self.receivedTimes(to.output).sorted() == all.filter { $0 <= middle }, "\(to.output)")
        #expect(to.output.hasSuffix("subscription mismatches: 0\n"), "\(to.output)")
        // The same window backtested: its tickers only.
        let backtest = try await BuiltProgram.run(
            "momentum-backtest", files + ["--from", "\(middle)", "--lookback", "2", "--threshold", "0"])
        let tickers = Self.receivedTimes(
            from.output.split(separator: "\n").filter { $0.hasPrefix("ticker ") }
                .joined(separator: "\n"))
        #expect(backtest.output.contains("replayed \(tickers.count) tickers"), "\(backtest.output)")

        let badTime = try await Self.gateway(["replay", "--from", "noon"] + files)
        #expect(badTime.status == 64 && badTime.errors.hasPrefix("Error: --from 'noon' is not a UTC time"))
        let backwards = try await Self.gateway(["replay", "--from", "\(middle + 1)", "--to", "\(middle)"] + files)
        #expect(
            backwards.status == 64
                && backwards.errors.hasPrefix("Error: the time range ends (to) before it starts (from)"))
        // `--stats` of the same window counts the same events.
        let stats = try await Self.gateway(["replay", "--stats", "--to", "\(middle)"] + files)
        #expect(stats.status == 0, "\(stats.errors)")
        #expect(
            Self.events(of: ["ticker", "trade"], inStats: stats.output) == all.filter { $0 <= middle }.count,
            "\(stats.output)")
    }

    @Test func aClosedStdoutEndsReplayQuietly() async throws {
        let directory = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let files = try await Self.recordMock(into: directory, types: "ticker", codes: "KRW-BTC,KRW-ETH", seconds: 2)
        // `replay --speed original … | head -1`: at the recording's pace, the lines after the first
        // find stdout closed, and the program ends with status 0 and nothing on stderr (not SIGPIPE).
        let head = try await BuiltProgram.runClosingOutput(
            "marketstream-gateway", ["replay", "--speed", "original"] + files, afterLines: 1)
        #expect(head.status == 0 && head.errors.isEmpty, "status \(head.status): \(head.errors)")
        #expect(head.output.hasPrefix("ticker KRW-"), "\(head.output)")
    }

    @Test func serveRecordingPlaysTheRecordingThroughTheMock() async throws {
        let directory = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let files = try await Self.recordMock(into: directory, types: "ticker", codes: "KRW-BTC,KRW-ETH", seconds: 1)
        let stats = try await Self.gateway(["replay", "--stats"] + files)
        let tickers = Self.events(of: ["ticker"], inStats: stats.output)

        let served = try await Self.gateway(["serve-recording", "--speed", "fast"] + files)
        #expect(served.status == 0, "\(served.errors)")
        let lines = served.output.split(separator: "\n")
        #expect(lines.first?.hasPrefix("serving mock recording of 2 markets at ws://127.0.0.1:") == true, "\(lines)")
        #expect(lines.last == "played \(tickers) frames, \(tickers) events, 0 recorded disconnects", "\(lines)")

        let speed = try await Self.gateway(["serve-recording", "--speed", "0"] + files)
        #expect(speed.status == 64)
        #expect(speed.errors.contains("--speed '0' is not fast, original or a factor from 0.001"), "\(speed.errors)")
        let plain = try await Self.gateway(["serve-recording", "/etc/hostname"])
        #expect(plain.errors.contains("not a MarketStream recording"), "\(plain.errors)")
    }

    @Test func sigintFinishesTheFile() async throws {
        let directory = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // Interrupted once its first block is on disk (the .partial file grows past its header).
        let run = try await Self.gateway(["record", "--dir", directory, "--log-level", "error"]) {
            Self.files(under: directory).contains { path in
                let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
                return path.hasSuffix(".partial") && size > 400
            }
        }
        #expect(run.status == 130, "interrupted: 128 + SIGINT (\(run.errors))")
        let files = Self.files(under: directory)
        #expect(Self.isOneRun(files), "synced and renamed: \(files)")
        #expect(run.output.contains("0 dropped, \(files.count) files finished"), "\(run.output)")
    }

    @Test func serveRecordsWhatItServesWithRecordDir() async throws {
        let directory = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await GatewayHarness.run { h in
            let serving = Task {
                try await Self.gateway([
                    "serve", "--nats", h.nats.url, "--upstream", h.mockBase, "--no-dashboard", "--id", "recorder",
                    "--record-dir", directory, "--log-level", "error",
                ]) {
                    // Interrupted once a block of frames is on disk.
                    Self.files(under: directory).contains { path in
                        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
                        return path.hasSuffix(".partial") && size > 600
                    }
                }
            }
            // A strategy process makes the demand the gateway serves (and records).
            let (router, _) = try h.remoteRouter(client: "strategy")
            let routing = Task { try await router.run() }
            defer { routing.cancel() }
            var events = try router.subscribe(to: .ticker, markets: [btc]).makeAsyncIterator()
            _ = try await events.nextMarketEvent()
            let run = try await serving.value
            #expect(run.status == 130, "\(run.errors)")
            let files = Self.files(under: directory)
            #expect(Self.isOneRun(files), "\(files)")
            let stats = try await Self.gateway(["replay", "--stats"] + files)
            #expect(stats.output.contains("ticker KRW-BTC"), "\(stats.output)")
            #expect(stats.output.contains("recorded by marketstream-gateway serve recorder"), "\(stats.output)")
        }
    }

    @Test func badFlagsAndFilesAreRefusedWithTheirReason() async throws {
        // A kind no venue module produces: the router's typed refusal, on one line.
        let directory = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let kind = try await Self.gateway(["record", "--types", "tickr", "--dir", directory, "--log-level", "error"])
        #expect(kind.status == 1)
        #expect(kind.errors.contains("unsupportedDataKind") && kind.errors.contains("'tickr'"), "\(kind.errors)")
        let empty = try await Self.gateway(["record", "--types", ","])
        #expect(empty.status == 64)
        #expect(empty.errors.contains("--types names no kind"), "\(empty.errors)")
        let code = try await Self.gateway(["record", "--codes", "BTC"])
        #expect(code.status == 64)
        let missing = try await Self.gateway(["replay", "--stats", "/nonexistent.msr.zst"])
        #expect(missing.status != 0)
        #expect(missing.errors.contains("cannot open /nonexistent.msr.zst"), "\(missing.errors)")
        let plain = try await Self.gateway(["replay", "--stats", "/etc/hostname"])
        #expect(plain.errors.contains("not a MarketStream recording"), "\(plain.errors)")
        let writes = try await Self.gateway(["serve", "--writes", "sometimes"])
        #expect(writes.status == 64)
        #expect(writes.errors.contains("'sometimes'"), "\(writes.errors)")
    }
}
