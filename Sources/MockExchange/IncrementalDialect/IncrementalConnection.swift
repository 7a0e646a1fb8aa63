import Foundation
import MarketStreamCore
import NIOCore
import Synchronization

/// One client of the incremental dialect: its set of streams, changed by difference.
final class IncrementalConnection: Sendable {
    let id: Int
    let outbound: OutboundQueue
    private let streams = Mutex<Set<String>>([])

    init(id: Int, outbound: OutboundQueue) {
        self.id = id
        self.outbound = outbound
    }

    func offer(_ event: MarketEvent, frame: inout ByteBuffer?) {
        let name = IncrementalWireFormat.streamName(kind: event.kind, market: event.market)
        let subscribed = streams.withLock { $0 }
        if subscribed.contains(name) {
            if frame == nil { frame = ByteBuffer(bytes: IncrementalWireFormat.encode(event, stream: name)) }
            outbound.yield(.text(String(buffer: frame!)))
        }
        // Book subscriptions of a limited depth get their own cut of the book.
        if case .orderbook(let book) = event.payload {
            for depth in OrderbookDepth.allCases where depth.rawValue < book.units.count {
                let limited = IncrementalWireFormat.streamName(kind: .orderbook(depth: depth), market: event.market)
                guard subscribed.contains(limited) else { continue }
                var cut = book
                cut.units = Array(book.units.prefix(depth.rawValue))
                let event = event.deriving(kind: .orderbook(depth: depth), payload: .orderbook(cut))
                outbound.yield(
                    .text(String(decoding: IncrementalWireFormat.encode(event, stream: limited), as: UTF8.self)))
            }
        }
    }

    func receive(text: String, exchange: MockExchangeCore) {
        let request: IncrementalRequest
        do {
            request = try IncrementalRequest.parse(text)
        } catch {
            outbound.yield(.text(error.reply))
            return
        }
        if request.method == .listSubscriptions {
            outbound.yield(
                .text(IncrementalWireFormat.result(id: request.id, streams: streams.withLock { $0.sorted() })))
            return
        }
        let parsed = request.streams.map { ($0, IncrementalWireFormat.parseStream($0)) }
        let invalid = parsed.first { _, topic in
            guard let topic else { return true }
            return !exchange.withSimulator { $0.contains(topic.market) }
        }
        if let (name, _) = invalid {
            let rejection = IncrementalRequest.Rejection(
                id: request.id, message: "Invalid request: unknown stream '\(name)'")
            outbound.yield(.text(rejection.reply))
            return
        }
        switch request.method {
        case .subscribe: streams.withLock { $0.formUnion(request.streams) }
        case .unsubscribe: streams.withLock { $0.subtract(request.streams) }
        case .snapshot, .listSubscriptions: break
        }
        outbound.yield(.text(IncrementalWireFormat.result(id: request.id, streams: nil)))
        guard request.method != .unsubscribe else { return }
        for (name, topic) in parsed {
            guard let topic, let event = exchange.snapshot(of: topic.kind, market: topic.market) else { continue }
            outbound.yield(.text(String(decoding: IncrementalWireFormat.encode(event, stream: name), as: UTF8.self)))
        }
    }
}
