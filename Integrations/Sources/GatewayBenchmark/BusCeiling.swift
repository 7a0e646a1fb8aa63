import Foundation
import MarketStreamCore
import MarketStreamNATS
import NIOCore
import Synchronization
import UpbitExchange

// The bus alone, for the gateway's figures' context: a publisher of the gateway's kind hands
// ready-made messages (envelope-sized header + ticker frame) to nats-server, and plain nats.c
// subscribers in processes of their own count them (`bus`), also decode each with the Upbit
// decoder (`bus+decode`), or time each from the wall-clock stamp in its first eight bytes
// (`bus-latency`), with no gateway router, no remote router and no subscriber. What no gateway
// can beat on this machine, measured in the same run as the gateway's own figures.

/// What a bus-only child does with each message.
enum BusChildWork: String {
    case count = "bus"
    case decode = "bus+decode"
    case latency = "bus-latency"
}

/// The subject the ceiling publishes on.
let ceilingSubject = "ms.bench.ceiling"

/// The child side: `GatewayBenchmark bus|bus+decode|bus-latency <nats-url> <index>`; answers
/// `report` with the `RemoteChild` line (the count, CPU seconds and, timing, the latency; no gaps
/// or drops) and starts timing at `measure`.
func runBusChild(url: String, work: BusChildWork) async throws {
    let bus = try await NATSConnection.connect(.init(url: url, name: "ceiling"))
    let received = Atomic<Int>(0)
    // Decoded straight from nats.c's buffer, no copy: the least a decoding process can do.
    let decoder = UpbitFrameDecoder()
    let context = DecodeContext(
        exchange: "upbit", channel: .public, generation: ConnectionGeneration(1), receivedAt: UnixTime(nanoseconds: 1))
    let decoded = Mutex(DecodedFrame())
    let latency = LatencyRecorder()
    let subscription = try bus.subscribe(ceilingSubject, pendingLimit: 1_000_000) { message in
        if work == .latency, message.data.count >= 8 {
            latency.record(since: message.data.loadUnaligned(as: Int64.self))
        } else if work == .decode {
            let frame = UnsafeBufferPointer(rebasing: message.data.bindMemory(to: UInt8.self)[BusEnvelope.size...])
            decoded.withLock { output in
                output.removeAll()
                try? decoder.decode(frame, context: context, into: &output)
            }
        }
        received.add(1, ordering: .relaxed)
    }
    for await line in standardInputLines() {
        if line == "measure" { latency.start() }
        guard line == "report" else { continue }
        // No gaps or drops to report, nor a read path: zeros in their places.
        let counts = ["\(received.load(ordering: .relaxed))", "0", "0", "0", "\(cpuSeconds())"]
        let fields = counts + latency.reportFields + ["0", "0"]
        try? FileHandle.standardOutput.write(contentsOf: Array((fields.joined(separator: " ") + "\n").utf8))
    }
    subscription.unsubscribe()
    await bus.close()
}

/// Publishes `frames` messages as fast as the bus takes them, to `processes` bus-only children.
func busCeiling(processes count: Int, frames: Int, work: BusChildWork) async throws {
    let (server, url) = try await startNATSServer()
    defer { server.terminate() }
    let bus = try await NATSConnection.connect(.gateway(url: url, name: "ceiling"))
    let children = try (0..<count).map { try RemoteChild(url: url, index: $0, mode: work.rawValue) }
    defer { for child in children { child.stop() } }
    let message = Array(repeating: UInt8(0), count: BusEnvelope.size) + tickerFrame("KRW-C0").bytes.readableBytesView
    // Subscribed once a probe message reaches every child.
    let deadline = ContinuousClock.now + .seconds(20)
    while try await reportAll(children).contains(where: { $0.received == 0 }) {
        guard ContinuousClock.now < deadline else { throw BenchmarkError("the bus-only processes did not subscribe") }
        try bus.publish(ceilingSubject, message)
        try await Task.sleep(for: .milliseconds(20))
    }
    let warmUp = 20_000
    await publish(message, count: warmUp, on: bus)
    let (base, _) = try await settle(children, target: warmUp)
    let start = ContinuousClock.now
    await publish(message, count: frames, on: bus)
    let (reports, end) = try await settle(children, target: (base.map(\.received).min() ?? 0) + frames)
    let elapsed = seconds(end - start)
    let rates = zip(reports, base).map { Int(Double($0.received - $1.received) / elapsed) }
    print(
        "bus ceiling, \(count) process\(count == 1 ? "" : "es") (\(work == .count ? "counting" : "decoding") each "
            + "message, no routers): \(frames) messages of \(message.count) bytes → \(rates) messages/s")
    await bus.close()
}

/// The bus alone at `rate` messages/s: the publisher of the gateway's kind stamps each message
/// with the wall clock, and a plain nats.c subscriber in another process times it on arrival.
/// The floor under the gateway's latency, in the same run.
func busLatency(rate: Int, seconds: Int, serverThreads: ServerThreads) async throws {
    let (server, url) = try await startNATSServer(threads: serverThreads)
    defer { server.terminate() }
    let bus = try await NATSConnection.connect(.gateway(url: url, name: "floor"))
    let child = try RemoteChild(url: url, index: 0, mode: BusChildWork.latency.rawValue)
    defer { child.stop() }
    let message = Array(repeating: UInt8(0), count: BusEnvelope.size) + tickerFrame("KRW-C0").bytes.readableBytesView
    let deadline = ContinuousClock.now + .seconds(20)
    while try await child.report().received == 0 {
        guard ContinuousClock.now < deadline else { throw BenchmarkError("the bus-only process did not subscribe") }
        try bus.publish(ceilingSubject, message)
        try await Task.sleep(for: .milliseconds(20))
    }
    let run = try await pacedRun([child], rate: rate, seconds: seconds) { _ in
        var stamped = message
        withUnsafeBytes(of: wallNanoseconds()) { stamped.replaceSubrange(0..<8, with: $0) }
        try? bus.publish(ceilingSubject, stamped)
    }
    let report = run.after[0]
    print(
        "latency at \(rate) frames/s, the bus alone (\(serverThreads.label); a publisher of the gateway's kind → "
            + "nats-server → a plain nats.c subscriber in another process, no routers; the floor, \(report.samples) messages): "
            + "p50 \(micro(report.p50)), p99 \(micro(report.p99)), p99.9 \(micro(report.p999)), max \(micro(report.max)); "
            + "CPU: the publisher's process \(percentOfCore(run.cpu, over: run.wall)), the subscriber's "
            + "\(percentOfCore(run.childCPU[0], over: run.wall))")
    await bus.close()
}

/// Publishes `message` `count` times from a thread of its own.
private func publish(_ message: [UInt8], count: Int, on bus: NATSConnection) async {
    await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
        Thread {
            for _ in 0..<count { try? bus.publish(ceilingSubject, message) }
            done.resume()
        }.start()
    }
}
