import MarketStreamCore

extension UpbitFrameDecoder {
    /// The topic of a ticker or trade frame that opens with its type and then its code, as Upbit
    /// writes every one (`{"type":"ticker","code":"KRW-BTC",…` or SIMPLE's `{"ty":…,"cd":…`),
    /// read without the rest of the frame; `nil` for anything else (a book, a candle, a private
    /// event, a list, a control frame, other key orders, an invalid code), which is then decoded.
    /// For a router that only passes frames on
    /// (``AbstractWebSocketManager/forwardedTopic(of:exchange:)``).
    /// - Parameters:
    ///   - buffer: The frame's payload (UTF-8 JSON).
    ///   - exchange: The exchange the topic names.
    public func forwardedTopic(_ buffer: UnsafeBufferPointer<UInt8>, exchange: ExchangeID) -> SubscriptionTopic? {
        guard buffer.count < Int(UInt32.max) else { return nil }
        var scanner = JSONScanner(buffer)
        do {
            try scanner.expect(UInt8(ascii: "{"))
            let typeKey = try scanner.stringRange()
            let simple: Bool
            if scanner.equals(typeKey, "type") {
                simple = false
            } else if scanner.equals(typeKey, "ty") {
                simple = true
            } else {
                return nil
            }
            try scanner.expect(UInt8(ascii: ":"))
            let (typeKind, type) = try scanner.value()
            guard typeKind == .string else { return nil }
            let kind: DataKind
            if scanner.equals(type, "ticker") {
                kind = .ticker
            } else if scanner.equals(type, "trade") {
                kind = .trade
            } else {
                return nil
            }
            guard try scanner.consume(UInt8(ascii: ",")) else { return nil }
            let codeKey = try scanner.stringRange()
            guard simple ? scanner.equals(codeKey, "cd") : scanner.equals(codeKey, "code") else { return nil }
            try scanner.expect(UInt8(ascii: ":"))
            let (codeKind, code) = try scanner.value()
            guard codeKind == .string, let market = MarketCode(utf8: UnsafeBufferPointer(rebasing: buffer[code])) else {
                return nil
            }
            return SubscriptionTopic(exchange: exchange, kind: kind, market: market)
        } catch {
            return nil
        }
    }
}
