import Foundation
import Histogram
import MarketStreamCore
import MarketStreamNATS
import MarketStreamRouting
import Synchronization
import UpbitExchange

#if canImport(Glibc)
    import Glibc
#endif

/// One remote process: its router and its subscription's counters.
final class RemoteProcess: Sendable {
    let router: MarketDataRouter
    let remote: RemoteExchange
    let received = Atomic<Int>(0)
    /// Gateway receive → this process's subscriber.
    let latency = LatencyRecorder()
    /// Gateway receive → this process's router, as it routes the frame (before the subscriber's
    /// wake-up): where the time goes.
    let readPath = LatencyRecorder()

    init(url: String, index: Int) throws {
        remote = try RemoteExchange(
            venue: UpbitExchange(logger: logger),
            configuration: .init(url: url, clientID: "bench\(index)", pendingLimit: 1_000_000), logger: logger)
        router = MarketDataRouter(
            managers: [remote], configuration: RouterConfiguration(bufferCapacity: 65_536),
            frameTap: ReadPathTap(latency: readPath), logger: logger)
    }

    func consume() async throws {
        for try await event in try router.subscribe(to: .ticker, markets: markets) {
            guard case .market(let market) = event else { continue }
            received.add(1, ordering: .relaxed)
            latency.record(since: market.receivedAt.nanoseconds)
        }
    }

    /// What the parent asks for: `received gaps transport-drops buffer-drops cpu-seconds p50 p99
    /// p99.9 max count read-path-p50 read-path-p99`.
    func report() -> String {
        let health = router.health().channels.first
        let fields: [String] = [
            "\(received.load(ordering: .relaxed))", "\(remote.statistics.sequenceGaps)",
            "\(health?.transportDroppedFrames ?? 0)", "\(health?.droppedEvents ?? 0)", "\(cpuSeconds())",
        ]
        return (fields + latency.reportFields + readPath.medianAndP99Fields).joined(separator: " ")
    }
}

/// The child side: `GatewayBenchmark remote <nats-url> <index> [delivery-thread]`. Reads one
/// command per line on standard input (`measure`, `report`) and answers `report` with one line;
/// ends at end of input. With `delivery-thread`, the subscriber prefers the module's executor.
func runRemoteProcess(url: String, index: Int, onDeliveryThread: Bool) async throws {
    let process = try RemoteProcess(url: url, index: index)
    await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await process.router.run() }
        group.addTask {
            if onDeliveryThread {
                try await withTaskExecutorPreference(process.remote.executor) { try await process.consume() }
            } else {
                try await process.consume()
            }
        }
        for await command in standardInputLines() {
            switch command {
            case "measure":
                process.latency.start()
                process.readPath.start()
            case "report":
                try? FileHandle.standardOutput.write(contentsOf: Array((process.report() + "\n").utf8))
            default: break
            }
        }
        group.cancelAll()
    }
}

/// The lines of standard input, read on a thread of their own (the read blocks); ends at end of input.
func standardInputLines() -> AsyncStream<String> {
    AsyncStream<String> { continuation in
        Thread {
            while let line = readLine() { continuation.yield(line) }
            continuation.finish()
        }.start()
    }
}

/// Sees each frame on the remote router's read path, after its events were handed to the
/// subscriber's buffer and before the subscriber wakes.
struct ReadPathTap: FrameTap {
    let latency: LatencyRecorder

    func frameReceived(_ frame: WebSocketMessage, events: [MarketEvent], context: DecodeContext) {
        if let event = events.first { latency.record(since: event.receivedAt.nanoseconds) }
    }

    func connectionClosed(reason: String, context: DecodeContext) {}
}
