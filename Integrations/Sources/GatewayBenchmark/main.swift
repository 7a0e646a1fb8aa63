// Gateway → remote router → subscriber, over a real nats-server on loopback (issue numbers):
// throughput to 1 and to 4 remote processes, added latency at 10 k frames/s, and the CPU the
// whole market's rate to 50 processes costs. Each remote router runs in a process of its own
// (this executable, `remote` mode), so the gateway's CPU is its process's. Before the throughput
// runs, the bus alone as their ceiling: the same messages from a plain publisher to plain nats.c
// subscribers in processes of their own (`bus` and `bus+decode` modes), no routers; before the
// latency runs, the bus alone as their floor (`bus-latency` mode); the latency runs are made with
// nats-server on Go's default threads and on one (`ServerThreads`), in the same run. The other
// runs' nats-server takes this process's environment (`GOMAXPROCS=1 GatewayBenchmark …`: one
// thread). Run in release:
//   swift run -c release --package-path Integrations GatewayBenchmark [FRAMES] [throughput|four|ceiling|latency|market|decode]
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
/// - Parameter threads: How many threads it runs Go code on; `nil`: as this process's environment says.
func startNATSServer(threads: ServerThreads? = nil) async throws -> (Process, String) {
    for _ in 0..<20 {
        let port = Int.random(in: 20_000...60_000)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/sbin/nats-server")
        process.arguments = ["-a", "127.0.0.1", "-p", "\(port)"]
        if let threads { process.environment = threads.environment(from: ProcessInfo.processInfo.environment) }
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

/// The CPU seconds another process has used so far (user and system, from `/proc`), or 0 where
/// that cannot be read.
func cpuSeconds(of process: Process) -> Double {
    guard let stat = try? String(contentsOfFile: "/proc/\(process.processIdentifier)/stat", encoding: .utf8),
        let close = stat.lastIndex(of: ")")
    else { return 0 }
    // After the command's closing parenthesis: state is field 3, utime and stime fields 14 and 15.
    let fields = stat[stat.index(after: close)...].split(separator: " ")
    guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
    return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
}

/// Hands `count` frames to the gateway's connection, round-robin over the markets, at `rate`
/// frames/s evenly spaced (0: as fast as possible), from a thread of its own (as a socket's event loop would).
func pump(_ handler: any ConnectionHandler, count: Int, rate: Int) async {
    await paced(count: count, rate: rate, frames(to: handler))
}

/// Hands frame `index` to the gateway's connection, round-robin over the markets.
func frames(to handler: any ConnectionHandler) -> @Sendable (_ index: Int) -> Void {
    let frames = markets.map { tickerFrame($0.rawValue) }
    return { handler.receive(frames[$0 % frames.count]) }
}

/// A paced stretch of a run: the children's reports before and after it, and this process's CPU
/// seconds and the wall time over it.
struct PacedRun {
    var before: [RemoteChild.Report]
    var after: [RemoteChild.Report]
    var cpu: Double
    var wall: Duration

    /// The CPU seconds each child used over it.
    var childCPU: [Double] { zip(after, before).map { $0.cpuSeconds - $1.cpuSeconds } }
}

/// Sends for a second at `rate` (a warm-up), starts the children timing (when `timing`), then
/// sends for `seconds` more, waiting each time until the children have what was sent.
func pacedRun(
    _ children: [RemoteChild], rate: Int, seconds: Int, timing: Bool = true,
    _ send: @escaping @Sendable (_ index: Int) -> Void
) async throws -> PacedRun {
    await paced(count: rate, rate: rate, send)
    let (before, _) = try await settle(children, target: rate)
    if timing { for child in children { try child.measure() } }
    let cpuBefore = cpuSeconds()
    let start = ContinuousClock.now
    await paced(count: rate * seconds, rate: rate, send)
    let wall = ContinuousClock.now - start
    let cpu = cpuSeconds() - cpuBefore
    let (after, _) = try await settle(children, target: rate * (seconds + 1))
    return PacedRun(before: before, after: after, cpu: cpu, wall: wall)
}

/// Calls `body` with 0..<count at `rate` calls/s evenly spaced (0: as fast as possible), from a
/// thread of its own.
func paced(count: Int, rate: Int, _ body: @escaping @Sendable (Int) -> Void) async {
    await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
        let thread = Thread {
            let start = DispatchTime.now().uptimeNanoseconds
            for index in 0..<count {
                body(index)
                // Evenly spaced: each frame at its own time, not in bursts.
                if rate > 0 {
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

/// Runs a gateway and `processes` remote routers, each in a process of its own, then `body`.
/// - Parameter writeMode: How the gateway's bus writes: each frame at once (its default),
///   combined while a write is under way (`--writes combined`), or left to nats.c's flusher,
///   which writes about a millisecond later.
func withGateway(
    processes count: Int, writeMode: NATSConnection.WriteMode = .immediate, onDeliveryThread: Bool = false,
    serverThreads: ServerThreads? = nil, _ body: (PumpVenue, [RemoteChild], _ server: Process) async throws -> Void
) async throws {
    let (server, url) = try await startNATSServer(threads: serverThreads)
    defer { server.terminate() }
    let venue = PumpVenue(upbit: try UpbitExchange(logger: logger))
    var options = NATSConnection.Options.gateway(url: url, name: "gateway")
    options.writeMode = writeMode
    let bus = try await NATSConnection.connect(options)
    let gateway = try MarketDataGateway(
        manager: venue, bus: bus, configuration: GatewayConfiguration(id: "bench", epoch: 1), logger: logger)
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await gateway.run() }
        await gateway.waitUntilServing()
        let children = try (0..<count).map {
            try RemoteChild(url: url, index: $0, onDeliveryThread: onDeliveryThread)
        }
        defer { for child in children { child.stop() } }
        try await waitUntil {
            gateway.clients.count == count && venue.upstreamCount == markets.count && venue.handler != nil
        }
        try await Task.sleep(for: .milliseconds(500))
        try await body(venue, children, server)
        group.cancelAll()
    }
    await bus.close()
}

/// Waits until every child's count stops growing (or reaches `target` each).
/// - Returns: The last reports and when the last of them grew.
func settle(_ children: [RemoteChild], target: Int) async throws -> ([RemoteChild.Report], ContinuousClock.Instant) {
    var reports = try await reportAll(children)
    var grewAt = ContinuousClock.now
    while reports.contains(where: { $0.received < target }) {
        try await Task.sleep(for: .milliseconds(50))
        let next = try await reportAll(children)
        if zip(next, reports).allSatisfy({ $0.received == $1.received }) {
            // No progress in 50 ms: one more look after a pause, then done.
            try await Task.sleep(for: .milliseconds(250))
            let last = try await reportAll(children)
            if zip(last, next).allSatisfy({ $0.received == $1.received }) { return (last, grewAt) }
            reports = last
        } else {
            reports = next
        }
        grewAt = ContinuousClock.now
    }
    return (reports, ContinuousClock.now)
}

func reportAll(_ children: [RemoteChild]) async throws -> [RemoteChild.Report] {
    var reports: [RemoteChild.Report] = []
    for child in children { reports.append(try await child.report()) }
    return reports
}

func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}

func throughput(
    processes count: Int, frames: Int, writeMode: NATSConnection.WriteMode = .immediate, onDeliveryThread: Bool = false
) async throws {
    try await withGateway(processes: count, writeMode: writeMode, onDeliveryThread: onDeliveryThread) {
        venue, children, server in
        let handler = venue.handler!
        let warmUp = 20_000
        await pump(handler, count: warmUp, rate: 0)
        let (base, _) = try await settle(children, target: warmUp)
        let (gatewayBefore, serverBefore) = (cpuSeconds(), cpuSeconds(of: server))
        let start = ContinuousClock.now
        await pump(handler, count: frames, rate: 0)
        let pumped = ContinuousClock.now - start
        let (reports, end) = try await settle(children, target: warmUp + frames)
        let (gatewayCPU, serverCPU) = (cpuSeconds() - gatewayBefore, cpuSeconds(of: server) - serverBefore)
        let elapsed = seconds(end - start)
        let each = zip(reports, base).map { $0.received - $1.received }
        let rates = each.map { Int(Double($0) / elapsed) }
        // CPU a frame: steadier than the rate on a shared host, and what the targets' arithmetic needs.
        let remoteCPU = zip(reports, base).map { $0.cpuSeconds - $1.cpuSeconds }
        let perFrame = { (cpu: Double) in String(format: "%.1f", cpu / Double(frames) * 1e6) }
        let total = gatewayCPU + serverCPU + remoteCPU.reduce(0, +)
        print(
            "throughput, \(count) remote process\(count == 1 ? "" : "es") (\(describe(writeMode))"
                + "\(onDeliveryThread ? ", the subscriber on the delivery thread" : "")): \(frames) Upbit ticker frames published in "
                + "\(pumped); each process received \(each) → \(rates) frames/s; sequence gaps \(reports.map(\.gaps)), "
                + "dropped by nats.c \(reports.map(\.transportDrops)), dropped by the subscriber's buffer "
                + "\(reports.map(\.bufferDrops)) (warm-up frames not dropped: \(base.map(\.received))); CPU a frame: "
                + "the gateway's process \(perFrame(gatewayCPU)) µs (handing the frames over included), nats-server "
                + "\(perFrame(serverCPU)) µs, each remote process \(remoteCPU.map(perFrame).joined(separator: ", ")) µs, in all \(perFrame(total)) µs "
                + "(\(String(format: "%.2f", total / elapsed)) cores busy)")
    }
}

/// CPU seconds used over `wall` as a share of one core, for the benchmark's lines.
func percentOfCore(_ cpu: Double, over wall: Duration, digits: Int = 0) -> String {
    String(format: "%.\(digits)f %% of a core", cpu / seconds(wall) * 100)
}

/// Nanoseconds as whole microseconds, for the benchmark's lines.
func micro(_ value: UInt64) -> String { String(format: "%.0f µs", Double(value) / 1_000) }

func latency(
    rate: Int, seconds: Int, writeMode: NATSConnection.WriteMode, onDeliveryThread: Bool = false,
    serverThreads: ServerThreads
) async throws {
    try await withGateway(
        processes: 1, writeMode: writeMode, onDeliveryThread: onDeliveryThread, serverThreads: serverThreads
    ) { venue, children, _ in
        let run = try await pacedRun(children, rate: rate, seconds: seconds, frames(to: venue.handler!))
        let report = run.after[0]
        print(
            "latency at \(rate) frames/s (gateway receive → remote subscriber in another process, \(report.samples) "
                + "frames, \(serverThreads.label), \(describe(writeMode))\(onDeliveryThread ? ", the subscriber on the delivery thread" : "")): p50 \(micro(report.p50)), p99 \(micro(report.p99)), p99.9 \(micro(report.p999)), "
                + "max \(micro(report.max)); to the remote router's read path, before the subscriber's wake-up: "
                + "p50 \(micro(report.readPathP50)), p99 \(micro(report.readPathP99)); CPU: the gateway's process "
                + "\(percentOfCore(run.cpu, over: run.wall)), the remote's "
                + "\(percentOfCore(run.childCPU[0], over: run.wall))")
    }
}

/// How a write mode reads in the benchmark's lines.
func describe(_ mode: NATSConnection.WriteMode) -> String {
    switch mode {
    case .buffered: "nats.c's buffered writes"
    case .immediate: "each frame written at once, the gateway's default"
    case .combined: "writes combined while one is under way, --writes combined"
    }
}

func wholeMarket(processes count: Int, rate: Int, seconds duration: Int) async throws {
    try await withGateway(processes: count) { venue, children, _ in
        let run = try await pacedRun(
            children, rate: rate, seconds: duration, timing: false, frames(to: venue.handler!))
        let received = zip(run.after, run.before).map { $0.received - $1.received }
        print(
            "\(rate) frames/s to \(count) remote processes for \(duration) s: the gateway's process used "
                + "\(percentOfCore(run.cpu, over: run.wall, digits: 1)) (nats-server apart); the \(count) remote "
                + "processes together \(percentOfCore(run.childCPU.reduce(0, +), over: run.wall)); each process received "
                + "\(received.min() ?? 0)–\(received.max() ?? 0) frames of \(rate * duration)")
    }
}

let arguments = Array(CommandLine.arguments.dropFirst())
if arguments.first == "remote", arguments.count >= 3, let index = Int(arguments[2]) {
    try await runRemoteProcess(
        url: arguments[1], index: index, onDeliveryThread: arguments.dropFirst(3).first == "delivery-thread")
} else if let work = arguments.first.flatMap(BusChildWork.init(rawValue:)), arguments.count == 3 {
    try await runBusChild(url: arguments[1], work: work)
} else {
    let frames = arguments.compactMap(Int.init).first ?? 400_000
    let only = Set(arguments.filter { Int($0) == nil })
    if only.isEmpty || only.contains("throughput") || only.contains("ceiling") {
        // What the bus alone carries, and with a decode at the far end, in the same run.
        for processes in [1, 4] {
            for work in [BusChildWork.count, .decode] {
                try await busCeiling(processes: processes, frames: processes == 1 ? frames : frames / 2, work: work)
            }
        }
    }
    if only.isEmpty || only.contains("throughput") {
        // The gateway's default (each frame written at once), then writes combined.
        try await throughput(processes: 1, frames: frames)
        try await throughput(processes: 1, frames: frames, onDeliveryThread: true)
        try await throughput(processes: 1, frames: frames, writeMode: .combined)
    }
    if only.isEmpty || only.contains("throughput") || only.contains("four") {
        // Four processes at once: the same settings (`four` runs these alone).
        try await throughput(processes: 4, frames: frames / 2)
        try await throughput(processes: 4, frames: frames / 2, onDeliveryThread: true)
        try await throughput(processes: 4, frames: frames / 2, writeMode: .combined)
        try await throughput(processes: 4, frames: frames / 2, writeMode: .combined, onDeliveryThread: true)
    }
    if only.isEmpty || only.contains("latency") {
        // The floor first (the bus alone), then the gateway's default writes, the same with the
        // subscriber preferring `RemoteExchange.executor` (no wake-up to the pool) and writes
        // combined; each measured with both server settings one right after the other, so the
        // host's drift over the run does not favour either; nats.c's own buffered writes once.
        let settings = [ServerThreads.goDefault, .one]
        for threads in settings { try await busLatency(rate: 10_000, seconds: 3, serverThreads: threads) }
        try await latency(rate: 10_000, seconds: 3, writeMode: .buffered, serverThreads: .goDefault)
        let modes: [(writeMode: NATSConnection.WriteMode, onDeliveryThread: Bool)] = [
            (.immediate, false), (.immediate, true), (.combined, false),
        ]
        for mode in modes {
            for threads in settings {
                try await latency(
                    rate: 10_000, seconds: 3, writeMode: mode.writeMode, onDeliveryThread: mode.onDeliveryThread,
                    serverThreads: threads)
            }
        }
    }
    if only.contains("decode") {
        // The venue decoder alone, on one thread: what each frame costs the gateway and each process.
        let upbit = try UpbitExchange(logger: logger)
        let frame = tickerFrame("KRW-C0")
        let context = DecodeContext(
            exchange: upbit.exchange, channel: .public, generation: ConnectionGeneration(1),
            receivedAt: UnixTime(nanoseconds: 1))
        var output = DecodedFrame()
        let start = ContinuousClock.now
        for _ in 0..<frames {
            output.removeAll()
            try upbit.decode(frame, context: context, into: &output)
        }
        let elapsed = seconds(ContinuousClock.now - start)
        print("decode alone: \(Int(Double(frames) / elapsed)) frames/s (\(output.events.count) event per frame)")
    }
    if only.isEmpty || only.contains("market") { try await wholeMarket(processes: 50, rate: 800, seconds: 5) }
}
