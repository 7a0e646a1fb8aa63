import Foundation
import MarketStreamCore
import MarketStreamNATS
import NIOCore
import Synchronization
import UpbitExchange

// The bus alone, for the throughput figures' context: a publisher of the gateway's kind hands
// ready-made messages (envelope-sized header + ticker frame) to nats-server, and plain nats.c
// subscribers in processes of their own count them (`bus`) or also decode each with the Upbit
// decoder (`bus+decode`), with no gateway router, no remote router and no subscriber. What no
// gateway can exceed on this machine, measured in the same run as the gateway's own figures.

/// What a bus-only child does with each message.
enum BusChildWork: String {
    case count = "bus"
    case decode = "bus+decode"
}

/// The subject the ceiling publishes on.
let ceilingSubject = "ms.bench.ceiling"

/// The child side: `GatewayBenchmark bus|bus+decode <nats-url> <index>`; answers `report` with
/// the `RemoteChild` line (the count and CPU seconds; no gaps, drops or latency).
func runBusChild(url: String, work: BusChildWork) async throws {
    let bus = try await NATSConnection.connect(.init(url: url, name: "ceiling"))
    let received = Atomic<Int>(0)
    // Decoded straight from nats.c's buffer, no copy: the least a decoding process can do.
    let decoder = UpbitFrameDecoder()
    let context = DecodeContext(
        exchange: "upbit", channel: .public, generation: ConnectionGeneration(1), receivedAt: UnixTime(nanoseconds: 1))
    let decoded = Mutex(DecodedFrame())
    let subscription = try bus.subscribe(ceilingSubject, pendingLimit: 1_000_000) { message in
        if work == .decode {
            let frame = UnsafeBufferPointer(rebasing: message.data.bindMemory(to: UInt8.self)[BusEnvelope.size...])
            decoded.withLock { output in
                output.removeAll()
                try? decoder.decode(frame, context: context, into: &output)
            }
        }
        received.add(1, ordering: .relaxed)
    }
    for await line in standardInputLines() {
        guard line == "report" else { continue }
        let fields = [
            "\(received.load(ordering: .relaxed))", "0", "0", "0", "\(cpuSeconds())", "0", "0", "0", "0", "0",
        ]
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

/// Publishes `message` `count` times from a thread of its own.
private func publish(_ message: [UInt8], count: Int, on bus: NATSConnection) async {
    await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
        Thread {
            for _ in 0..<count { try? bus.publish(ceilingSubject, message) }
            done.resume()
        }.start()
    }
}
