// Gateway → remote router → subscriber, over a real nats-server on loopback (issue numbers):
// throughput to 1 and to 4 remote processes, added latency at 10 k frames/s, and the CPU the
// whole market's rate to 50 processes costs. Run in release:
//   swift run -c release --package-path Integrations GatewayBenchmark
import Foundation
import Histogram
import Logging
import MarketStreamCore
import MarketStreamNATS
import MarketStreamRouting
import Synchronization
import UpbitExchange

#if canImport(Glibc)
    import Glibc
#endif

let logger = Logger(label: "bench", factory: { _ in SwiftLogNoOpLogHandler() })
let markets = (0..<10).map { MarketCode(validated: "KRW-C\($0)") }

/// A nats-server of the benchmark's own, on a free loopback port.
func startNATSServer() async throws -> (Process, String) {
    for _ in 0..<20 {
        let port = Int.random(in: 20_000...60_000)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/sbin/nats-server")
        process.arguments = ["-a", "127.0.0.1", "-p", "\(port)"]
        process.standardError = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let url = "nats://127.0.0.1:\(port)"
        for _ in 0..<50 {
            if let probe = try? await NATSConnection.connect(.init(url: url, name: "probe")) {
                await probe.close()
                return (process, url)
            }
            if !process.isRunning { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        process.terminate()
    }
    throw NATSError(.failed, "could not start nats-server")
}

func wallNanoseconds() -> Int64 { MarketDataRouter.systemWallClock().nanoseconds }

func cpuSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
        + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1_000_000
}

/// One remote process: its router and its subscription's counters.
final class RemoteProcess: Sendable {
    let router: MarketDataRouter
    let remote: RemoteExchange
    let received = Atomic<Int>(0)
    let latency = Mutex(
        Histogram<UInt64>(highestTrackableValue: 60_000_000_000, numberOfSignificantValueDigits: .three))
    let measuring = Atomic<Bool>(false)

    init(url: String, index: Int) throws {
        remote = try RemoteExchange(
            venue: UpbitExchange(logger: logger),
            configuration: .init(url: url, clientID: "bench\(index)", pendingLimit: 1_000_000), logger: logger)
        router = MarketDataRouter(
            managers: [remote], configuration: RouterConfiguration(bufferCapacity: 65_536), logger: logger)
    }

    func consume() async throws {
        for try await event in try router.subscribe(to: .ticker, markets: markets) {
            guard case .market(let market) = event else { continue }
            received.add(1, ordering: .relaxed)
            if measuring.load(ordering: .relaxed) {
                let delay = max(0, wallNanoseconds() - market.receivedAt.nanoseconds)
                latency.withLock { _ = $0.record(UInt64(delay)) }
            }
        }
    }
}

/// Hands `count` frames to the gateway's connection, round-robin over the markets, at `rate`
/// frames/s (0: as fast as possible), from a thread of its own (as a socket's event loop would).
func pump(_ handler: any ConnectionHandler, count: Int, rate: Int) async {
    let frames = markets.map { tickerFrame($0.rawValue) }
    await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
        let thread = Thread {
            let start = DispatchTime.now().uptimeNanoseconds
            for index in 0..<count {
                handler.receive(frames[index % frames.count])
                if rate > 0, index % 100 == 99 {
                    let due = start + UInt64(index + 1) * 1_000_000_000 / UInt64(rate)
                    let now = DispatchTime.now().uptimeNanoseconds
                    if due > now { usleep(UInt32((due - now) / 1_000)) }
                }
            }
            done.resume()
        }
        thread.start()
    }
}

func waitUntil(_ limit: Duration = .seconds(20), _ condition: () -> Bool) async throws {
    let deadline = ContinuousClock.now + limit
    while !condition() {
        guard ContinuousClock.now < deadline else { throw NATSError(.timeout, "the set-up did not settle") }
        try await Task.sleep(for: .milliseconds(20))
    }
}

/// Runs a gateway and `processes` remote routers, then `body`.
func withGateway(
    processes count: Int, _ body: (PumpVenue, [RemoteProcess]) async throws -> Void
) async throws {
    let (server, url) = try await startNATSServer()
    defer { server.terminate() }
    let venue = PumpVenue(upbit: try UpbitExchange(logger: logger))
    let bus = try await NATSConnection.connect(.init(url: url, name: "gateway", reconnects: true))
    let gateway = try MarketDataGateway(
        manager: venue, bus: bus, configuration: GatewayConfiguration(id: "bench", epoch: 1), logger: logger)
    let processes = try (0..<count).map { try RemoteProcess(url: url, index: $0) }
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await gateway.run() }
        await gateway.waitUntilServing()
        for process in processes {
            group.addTask { try await process.router.run() }
            group.addTask { try await process.consume() }
        }
        try await waitUntil { venue.upstreamCount == markets.count && venue.handler != nil }
        try await Task.sleep(for: .milliseconds(500))
        try await body(venue, processes)
        group.cancelAll()
    }
    await bus.close()
}

func throughput(processes count: Int, frames: Int) async throws {
    try await withGateway(processes: count) { venue, processes in
        let handler = venue.handler!
        await pump(handler, count: 20_000, rate: 0)  // warm-up
        try await Task.sleep(for: .milliseconds(500))
        let base = processes.map { $0.received.load(ordering: .relaxed) }
        let start = ContinuousClock.now
        await pump(handler, count: frames, rate: 0)
        let pumped = ContinuousClock.now - start
        // Until every process has all of them, or stops receiving.
        var last = -1
        while true {
            let total = zip(processes, base).map { $0.received.load(ordering: .relaxed) - $1 }.reduce(0, +)
            if total >= frames * count || total == last { break }
            last = total
            try await Task.sleep(for: .milliseconds(200))
        }
        let elapsed = ContinuousClock.now - start - (last >= 0 ? .milliseconds(200) : .zero)
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let each = zip(processes, base).map { $0.received.load(ordering: .relaxed) - $1 }
        let rates = each.map { Int(Double($0) / seconds) }
        let dropped = processes.map { $0.remote.statistics.sequenceGaps }
        print(
            "throughput, \(count) remote process\(count == 1 ? "" : "es"): \(frames) Upbit ticker frames published in \(pumped); "
                + "each process received \(each) → \(rates) frames/s; sequence gaps \(dropped)")
    }
}

func latency(rate: Int, seconds: Int) async throws {
    try await withGateway(processes: 1) { venue, processes in
        let handler = venue.handler!
        await pump(handler, count: rate, rate: rate)  // 1 s warm-up
        processes[0].measuring.store(true, ordering: .relaxed)
        await pump(handler, count: rate * seconds, rate: rate)
        try await Task.sleep(for: .milliseconds(300))
        processes[0].measuring.store(false, ordering: .relaxed)
        let histogram = processes[0].latency.withLock { $0 }
        func micro(_ value: UInt64) -> String { String(format: "%.0f µs", Double(value) / 1_000) }
        print(
            "latency at \(rate) frames/s (gateway receive → remote subscriber, \(histogram.totalCount) frames): "
                + "p50 \(micro(histogram.valueAtPercentile(50))), p99 \(micro(histogram.valueAtPercentile(99))), "
                + "p99.9 \(micro(histogram.valueAtPercentile(99.9))), max \(micro(histogram.max))")
    }
}

func wholeMarket(processes count: Int, rate: Int, seconds: Int) async throws {
    try await withGateway(processes: count) { venue, processes in
        let handler = venue.handler!
        await pump(handler, count: rate, rate: rate)
        let cpuBefore = cpuSeconds()
        let start = ContinuousClock.now
        await pump(handler, count: rate * seconds, rate: rate)
        let elapsed = ContinuousClock.now - start
        let used = cpuSeconds() - cpuBefore
        let wall = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let received = processes.map { $0.received.load(ordering: .relaxed) }
        print(
            "\(rate) frames/s to \(count) remote processes for \(seconds) s: this process (the gateway and all \(count) "
                + "remote routers; nats-server apart) used \(String(format: "%.0f", used / wall * 100)) % of a core; "
                + "each process received \(received.min() ?? 0)–\(received.max() ?? 0) frames")
    }
}

let arguments = CommandLine.arguments.dropFirst()
let frames = arguments.first.flatMap(Int.init) ?? 400_000
try await throughput(processes: 1, frames: frames)
try await throughput(processes: 4, frames: frames / 2)
try await latency(rate: 10_000, seconds: 3)
try await wholeMarket(processes: 50, rate: 800, seconds: 5)
