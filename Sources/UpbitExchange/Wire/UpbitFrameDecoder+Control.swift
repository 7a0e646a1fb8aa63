import MarketStreamCore
import UpbitWire

/// Frames that carry no market data: status, error and `LIST_SUBSCRIPTIONS` replies.
extension UpbitFrameDecoder {
    func interpretControl(
        entries: UnsafeMutableBufferPointer<Entry>, bytes: UnsafeBufferPointer<UInt8>, context: DecodeContext,
        into output: inout DecodedFrame
    ) throws {
        let probe = JSONScanner(bytes)
        for entry in entries {
            if probe.equals(entry.key, "status"), entry.kind == .string {
                output.controls.append(.status(probe.string(entry.value)))
                return
            }
            if probe.equals(entry.key, "error"), entry.kind == .object {
                var scanner = JSONScanner(bytes, position: entry.value.lowerBound)
                var name = "UNKNOWN"
                var message = ""
                try scanner.forEachMember { key, kind, value, scanner in
                    guard kind == .string else { return }
                    if scanner.equals(key, "name") { name = scanner.string(value) }
                    if scanner.equals(key, "message") { message = scanner.string(value) }
                }
                // A rejected token is an authentication failure: the router can fall back to REST at once.
                let code: MarketStreamError.Code = name == "INVALID_AUTH" ? .authenticationUnavailable : .exchangeError
                output.controls.append(
                    .exchangeError(MarketStreamError(code, "\(name): \(message)", exchange: context.exchange)))
                return
            }
            if (probe.equals(entry.key, "method") || probe.equals(entry.key, "mthd")) && entry.kind == .string {
                output.controls.append(
                    .subscriptionList(try subscriptionList(entries: entries, bytes: bytes, context: context)))
                return
            }
        }
        throw DecodeFailure.malformed("a frame without type, status, error or method")
    }

    /// The topics of a `LIST_SUBSCRIPTIONS` reply.
    func subscriptionList(
        entries: UnsafeMutableBufferPointer<Entry>, bytes: UnsafeBufferPointer<UInt8>, context: DecodeContext
    ) throws -> [SubscriptionTopic] {
        let probe = JSONScanner(bytes)
        guard let result = entries.first(where: { probe.equals($0.key, "result") || probe.equals($0.key, "rslt") }),
            result.kind == .array
        else { return [] }
        var topics: [SubscriptionTopic] = []
        var scanner = JSONScanner(bytes, position: result.value.lowerBound)
        try scanner.expect(UInt8(ascii: "["))
        if try scanner.consume(UInt8(ascii: "]")) { return [] }
        repeat {
            var type: String?
            var codes: [String] = []
            try scanner.expect(UInt8(ascii: "{"))
            if try !scanner.consume(UInt8(ascii: "}")) {
                repeat {
                    let key = try scanner.stringRange()
                    try scanner.expect(UInt8(ascii: ":"))
                    if scanner.equals(key, "codes") || scanner.equals(key, "cds") {
                        try scanner.expect(UInt8(ascii: "["))
                        if try !scanner.consume(UInt8(ascii: "]")) {
                            repeat {
                                codes.append(scanner.string(try scanner.stringRange()))
                            } while try scanner.consume(
                                UInt8(ascii: ","))
                            try scanner.expect(UInt8(ascii: "]"))
                        }
                    } else {
                        let (kind, value) = try scanner.value()
                        if kind == .string && (scanner.equals(key, "type") || scanner.equals(key, "ty")) {
                            type = scanner.string(value)
                        }
                    }
                } while try scanner.consume(UInt8(ascii: ","))
                try scanner.expect(UInt8(ascii: "}"))
            }
            guard let type, let kind = try? DataKind(parsing: type) else { continue }
            if codes.isEmpty, kind.isPrivate {
                topics.append(SubscriptionTopic(exchange: context.exchange, kind: kind, market: .account))
            }
            for code in codes {
                var text = Substring(code)
                var codeKind = kind  // each code names its own depth
                if kind.isOrderbook, let dot = text.lastIndex(of: "."),
                    let depth = Int(text[text.index(after: dot)...]).flatMap(OrderbookDepth.init(rawValue:))
                {
                    codeKind = .orderbook(depth: depth)
                    text = text[..<dot]
                }
                if let market = try? MarketCode(String(text)) {
                    topics.append(SubscriptionTopic(exchange: context.exchange, kind: codeKind, market: market))
                }
            }
        } while try scanner.consume(UInt8(ascii: ","))
        return topics
    }
}
