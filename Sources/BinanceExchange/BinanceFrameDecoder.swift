import BinanceWire
import MarketStreamCore

/// Decodes Binance spot's combined-stream frames (`{"stream":"btcusdt@trade","data":{…}}`),
/// acknowledgements (`{"result":null,"id":1}`), subscription lists and error replies, straight
/// from the bytes: no Foundation, no intermediate dictionaries.
struct BinanceFrameDecoder: Sendable {
    /// Keeps the whole books that `@depth@100ms` changes update.
    let books: BinanceBookKeeper
    /// Stream names already parsed: a frame's name is looked up, not parsed again.
    let streams = BinanceStreamCache()

    /// Decodes one frame.
    /// - Throws: `.malformedFrame` for a frame that is not one of the above, names an unknown
    ///   stream, or lacks a field its stream requires.
    func decode(_ bytes: UnsafeBufferPointer<UInt8>, context: DecodeContext, into output: inout DecodedFrame)
        throws(MarketStreamError)
    {
        var scanner = JSONScanner(bytes)
        var stream: Range<Int>?
        var data: Range<Int>?
        var result: (JSONScanner.ValueKind, Range<Int>)?
        var id: Range<Int>?
        var error: Range<Int>?
        do {
            try scanner.forEachMember { key, kind, value, scanner in
                if scanner.equals(key, "stream") && kind == .string {
                    stream = value
                } else if scanner.equals(key, "data") && kind == .object {
                    data = value
                } else if scanner.equals(key, "result") {
                    result = (kind, value)
                } else if scanner.equals(key, "id") && kind == .number {
                    id = value
                } else if scanner.equals(key, "error") && kind == .object {
                    error = value
                }
            }
        } catch {
            throw malformed("not a JSON object", context)
        }
        if let error {
            output.controls.append(.exchangeError(exchangeError(error, scanner: scanner, context: context)))
            return
        }
        if let (kind, value) = result {
            let requestID = id.flatMap { scanner.int64($0) }.map { Int(truncatingIfNeeded: $0) }
            if kind == .array {
                output.controls.append(.subscriptionList(try list(value, scanner: scanner, context: context)))
            } else if let requestID {
                output.controls.append(.acknowledged(requestID: requestID))
            } else {
                throw malformed("a result without an id", context)
            }
            return
        }
        guard let stream, let data else { throw malformed("neither stream data, a result nor an error", context) }
        guard let parsed = streams.stream(named: scanner.string(stream)) else {
            throw malformed("unknown stream '\(scanner.string(stream))'", context)
        }
        var fields = JSONScanner(UnsafeBufferPointer(rebasing: bytes[data]))
        if case .diffBook = parsed.kind {
            let (change, time): (SequencedOrderbook.Change, UnixTime)
            do {
                (change, time) = try Self.change(&fields)
            } catch let failure as MarketStreamError {
                throw MarketStreamError(
                    .malformedFrame, "\(parsed.name): \(failure.message)", exchange: context.exchange)
            } catch {
                throw malformed("\(parsed.name): unreadable data", context)
            }
            books.receive(change, market: parsed.market, time: time, context: context, into: &output)
            return
        }
        let (payload, timestamp): (MarketPayload, UnixTime)
        do {
            (payload, timestamp) = try Self.payload(of: parsed, &fields, receivedAt: context.receivedAt)
        } catch let failure as MarketStreamError {
            throw MarketStreamError(
                .malformedFrame, "\(parsed.name): \(failure.message)", exchange: context.exchange)
        } catch {
            throw malformed("\(parsed.name): unreadable data", context)
        }
        output.events.append(
            MarketEvent(
                exchange: context.exchange, kind: parsed.eventKind, market: parsed.market, stream: .realtime,
                timestamp: timestamp, receivedAt: context.receivedAt, generation: context.generation,
                payload: payload))
    }

    private func malformed(_ reason: String, _ context: DecodeContext) -> MarketStreamError {
        MarketStreamError(.malformedFrame, reason, exchange: context.exchange)
    }

    private func exchangeError(_ range: Range<Int>, scanner: borrowing JSONScanner, context: DecodeContext)
        -> MarketStreamError
    {
        var fields = JSONScanner(UnsafeBufferPointer(rebasing: scanner.bytes[range]))
        var code = "?"
        var message = "no message"
        try? fields.forEachMember { key, kind, value, fields in
            if fields.equals(key, "code") { code = fields.string(value) }
            if fields.equals(key, "msg") && kind == .string { message = fields.string(value) }
        }
        return MarketStreamError(.exchangeError, "Binance error \(code): \(message)", exchange: context.exchange)
    }

    private func list(_ range: Range<Int>, scanner: borrowing JSONScanner, context: DecodeContext)
        throws(MarketStreamError) -> [SubscriptionTopic]
    {
        var items = JSONScanner(UnsafeBufferPointer(rebasing: scanner.bytes[range]))
        var topics: [SubscriptionTopic] = []
        do {
            try items.expect(UInt8(ascii: "["))
            if try !items.consume(UInt8(ascii: "]")) {
                repeat {
                    let name = items.string(try items.stringRange())
                    guard let stream = BinanceStream(name: name) else { continue }
                    topics.append(
                        SubscriptionTopic(exchange: context.exchange, kind: stream.dataKind, market: stream.market))
                } while try items.consume(UInt8(ascii: ","))
                try items.expect(UInt8(ascii: "]"))
            }
        } catch {
            throw malformed("a subscription list that is not a list of names", context)
        }
        return topics
    }
}
