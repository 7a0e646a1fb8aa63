import MarketStreamCore
import UpbitWire

/// A ticker's and a trade's Upbit payload (``UpbitTicker``, ``UpbitTrade``) deferred: the decoder
/// reads the normalised fields, checks every other field as the payload's builder would read it
/// (the same typed errors, in the same order), and keeps the object's bytes; the payload is built
/// from them when a program reads `native`. Building it (every decimal and string Upbit sends, a
/// boxed copy) was about half of decoding a ticker, for a payload most programs never read.
extension UpbitFrameDecoder {
    /// The flags a deferred payload is decoded with: the dialect's date strings.
    var nativeVariant: UInt8 { dateStringsInKST ? 1 : 0 }

    /// A decoder for deferred payloads kept with `variant` (``nativeVariant``).
    init(nativeVariant variant: UInt8) {
        orderbookTimestampsInMicroseconds = false
        dateStringsInKST = variant & 1 != 0
        ungroupedLevel = .zero
    }

    /// The Upbit payload of the one ticker or trade object `buffer` holds; `nil` for anything else.
    func nativePayload(of buffer: UnsafeBufferPointer<UInt8>) -> (any NativePayload)? {
        do {
            var scanner = JSONScanner(buffer)
            guard let (typeRange, simple, leading) = try findType(&scanner) else { return nil }
            let (type, _) = try classify(type: typeRange, in: buffer)
            guard type == .ticker || type == .trade else { return nil }
            let table = tables.table(for: type, simple: simple)
            let hasMembers = try startMembers(&scanner, objectStart: 0, leading: leading)
            return try withSlots(bytes: buffer) { slots -> any NativePayload in
                if hasMembers {
                    try readMembers(
                        &scanner, table: table, next: leading ? table.predictionIndex(after: .type) : 0, into: &slots)
                }
                return type == .ticker ? try ticker(slots) : try trade(slots)
            }
        } catch {
            return nil
        }
    }

    /// What keeps an object's bytes for its deferred payload.
    func deferredNative(_ s: borrowing Slots, object: Range<Int>) -> DeferredNativePayload {
        DeferredNativePayload(
            bytes: [UInt8](UnsafeBufferPointer(rebasing: s.bytes[object])), decoding: UpbitNativeDecoding.self,
            variant: nativeVariant)
    }

    /// The normalised ticker, as ``ticker(_:)`` and `UpbitTicker.normalised` give it, with its
    /// Upbit payload deferred; every field checked in ``ticker(_:)``'s order.
    func tickerDeferringNative(_ s: borrowing Slots, object: Range<Int>) throws(DecodeFailure) -> Ticker {
        let time = UnixTime(milliseconds: try s.int64(.tradeTimestamp))
        try s.checkString(.tradeDate)
        try s.checkString(.tradeTime)
        let price = try s.decimal(.tradePrice)
        let open = try s.decimal(.openingPrice)
        let high = try s.decimal(.highPrice)
        let low = try s.decimal(.lowPrice)
        let previousClose = try s.decimal(.prevClosingPrice)
        _ = try change(s)
        try s.checkDecimal(.changePrice)
        let change = try s.decimal(.signedChangePrice)
        try s.checkDecimal(.changeRate)
        let changeRate = try s.decimal(.signedChangeRate)
        let lastSize = try s.decimal(.tradeVolume)
        try s.checkDecimal(.accTradeVolume)
        let volume24h = try s.decimal(.accTradeVolume24h)
        try s.checkDecimal(.accTradePrice)
        let quoteVolume24h = try s.decimal(.accTradePrice24h)
        _ = try side(s)
        try s.checkDecimal(.accAskVolume)
        try s.checkDecimal(.accBidVolume)
        try s.checkDecimal(.highest52WeekPrice)
        try s.checkString(.highest52WeekDate)
        try s.checkDecimal(.lowest52WeekPrice)
        try s.checkString(.lowest52WeekDate)
        if !s.equals(.marketState, "ACTIVE") { try s.checkString(.marketState) }
        _ = try s.optionalBool(.isTradingSuspended)
        if let slot = s[.delistingDate], slot.kind != .null { _ = try delistingDate(s) }
        if !s.equals(.marketWarning, "NONE") { try s.checkOptionalString(.marketWarning) }
        return Ticker(
            price: price, lastSize: lastSize, open: open, high: high, low: low, previousClose: previousClose,
            change: change, changeRate: changeRate, volume24h: volume24h, quoteVolume24h: quoteVolume24h, time: time
        ).withDeferredNative(deferredNative(s, object: object))
    }

    /// The normalised trade, as ``trade(_:)`` and `UpbitTrade.normalised` give it, with its Upbit
    /// payload deferred; every field checked in ``trade(_:)``'s order.
    func tradeDeferringNative(_ s: borrowing Slots, object: Range<Int>) throws(DecodeFailure) -> Trade {
        let time = UnixTime(milliseconds: try s.int64(.tradeTimestamp))
        try s.checkString(.tradeDate)
        try s.checkString(.tradeTime)
        let price = try s.decimal(.tradePrice)
        let size = try s.decimal(.tradeVolume)
        let side = try side(s)
        let id = try s.int64(.sequentialID)
        try s.checkDecimal(.prevClosingPrice)
        _ = try change(s)
        try s.checkDecimal(.changePrice)
        try s.checkOptionalDecimal(.bestAskPrice)
        try s.checkOptionalDecimal(.bestAskSize)
        try s.checkOptionalDecimal(.bestBidPrice)
        try s.checkOptionalDecimal(.bestBidSize)
        return Trade(id: id, price: price, size: size, side: side, time: time)
            .withDeferredNative(deferredNative(s, object: object))
    }
}

/// Decodes the Upbit payload a ticker or trade event deferred (``DeferredNativePayload``).
enum UpbitNativeDecoding: NativePayloadDecoding {
    static func nativePayload(from bytes: UnsafeBufferPointer<UInt8>, variant: UInt8) -> (any NativePayload)? {
        UpbitFrameDecoder(nativeVariant: variant).nativePayload(of: bytes)
    }
}
