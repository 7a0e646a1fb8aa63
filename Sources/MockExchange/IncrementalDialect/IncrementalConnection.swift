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
        guard let data = text.data(using: .utf8),
            let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
        else {
            outbound.yield(.text(IncrementalWireFormat.error(id: nil, message: "Invalid JSON")))
            return
        }
        guard let id = (object["id"] as? NSNumber)?.intValue, let method = object["method"] as? String else {
            outbound.yield(
                .text(IncrementalWireFormat.error(id: nil, message: "Invalid request: id and method are required")))
            return
        }
        let params = object["params"] as? [Any] ?? []
        let names = params.compactMap { $0 as? String }
        switch method {
        case "LIST_SUBSCRIPTIONS":
            outbound.yield(.text(IncrementalWireFormat.result(id: id, streams: streams.withLock { $0.sorted() })))
        case "SUBSCRIBE", "UNSUBSCRIBE", "SNAPSHOT":
            let parsed = names.map { ($0, IncrementalWireFormat.parseStream($0)) }
            let invalid = parsed.first { _, topic in
                guard let topic else { return true }
                return !exchange.withSimulator { $0.contains(topic.market) }
            }
            guard !names.isEmpty, names.count == params.count, invalid == nil else {
                let name = invalid?.0 ?? "params"
                outbound.yield(
                    .text(IncrementalWireFormat.error(id: id, message: "Invalid request: unknown stream '\(name)'")))
                return
            }
            switch method {
            case "SUBSCRIBE": streams.withLock { $0.formUnion(names) }
            case "UNSUBSCRIBE": streams.withLock { $0.subtract(names) }
            default: break
            }
            outbound.yield(.text(IncrementalWireFormat.result(id: id, streams: nil)))
            guard method != "UNSUBSCRIBE" else { return }
            for (name, topic) in parsed {
                guard let topic, let event = exchange.snapshot(of: topic.kind, market: topic.market) else { continue }
                outbound.yield(
                    .text(String(decoding: IncrementalWireFormat.encode(event, stream: name), as: UTF8.self)))
            }
        default:
            outbound.yield(
                .text(IncrementalWireFormat.error(id: id, message: "Invalid request: unknown method '\(method)'")))
        }
    }
}
