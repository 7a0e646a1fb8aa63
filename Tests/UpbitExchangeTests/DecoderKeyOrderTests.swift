import Foundation
import MarketStreamCore
import Testing

/// The decoder predicts Upbit's key order; frames in any other order must decode to the same
/// events, and keys that merely resemble the predicted ones must not be taken for them.
@Suite struct DecoderKeyOrderTests {
    static let samples = [
        "ticker.default.json", "ticker.simple.json", "ticker-exponent.default.json", "trade.default.json",
        "trade.simple.json", "orderbook.default.json", "orderbook.simple.json", "candle-1m.default.json",
        "candle-1m.simple.json", "myOrder.default.json", "myOrder.simple.json", "myAsset.default.json",
        "myAsset.simple.json",
    ]

    /// The top-level `"key":value` members of a one-object frame, in order.
    static func members(_ bytes: [UInt8]) -> [[UInt8]] {
        var members: [[UInt8]] = []
        var current: [UInt8] = []
        var depth = 0
        var trimmed = bytes[...]
        while let last = trimmed.last, last != UInt8(ascii: "}") { trimmed.removeLast() }
        JSONStructure.forEachByte(of: trimmed.dropFirst().dropLast()) { byte, isStructure in
            if isStructure {
                switch byte {
                case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
                case UInt8(ascii: "}"), UInt8(ascii: "]"): depth -= 1
                case UInt8(ascii: ",") where depth == 0:
                    members.append(current)
                    current = []
                    return
                default: break
                }
            }
            current.append(byte)
        }
        members.append(current)
        return members
    }

    static func object(_ members: [[UInt8]]) -> [UInt8] {
        [UInt8(ascii: "{")] + Array(members.joined(separator: [UInt8(ascii: ",")])) + [UInt8(ascii: "}")]
    }

    static func samePayload(_ a: MarketPayload, _ b: MarketPayload) -> Bool {
        switch (a, b) {
        case (.ticker(let x), .ticker(let y)): x == y
        case (.trade(let x), .trade(let y)): x == y
        case (.orderbook(let x), .orderbook(let y)): x == y
        case (.candle(let x), .candle(let y)): x == y
        case (.myOrder(let x), .myOrder(let y)): x == y
        case (.myAsset(let x), .myAsset(let y)): x == y
        default: false
        }
    }

    static func expectSame(_ reordered: [UInt8], as original: DecodedFrame, _ comment: Comment) throws {
        let frame = try decode(reordered)
        let a = try #require(original.events.first)
        let b = try #require(frame.events.first, comment)
        #expect(a.kind == b.kind && a.market == b.market, comment)
        #expect(a.stream == b.stream && a.timestamp == b.timestamp, comment)
        #expect(samePayload(a.payload, b.payload), comment)
    }

    @Test(arguments: samples)
    func everyKeyOrderDecodesAlike(sample: String) throws {
        let bytes = try Samples.bytes(sample)
        let original = try decode(bytes)
        let members = Self.members(bytes)
        // Reversed (type last: the general path), rotated (type in the middle), and with the
        // predicted order broken by swapping neighbours (type still first: the predicting path).
        try Self.expectSame(Self.object(members.reversed()), as: original, "\(sample) reversed")
        let half = members.count / 2
        let rotated: [[UInt8]] = Array(members[half...]) + Array(members[..<half])
        try Self.expectSame(Self.object(rotated), as: original, "\(sample) rotated")
        var swapped = members
        for index in stride(from: 1, to: swapped.count - 1, by: 2) { swapped.swapAt(index, index + 1) }
        try Self.expectSame(Self.object(swapped), as: original, "\(sample) neighbours swapped")
    }

    @Test(arguments: [
        #"{"type":"trade"}"#, #"{"type":"trade",}"#, #"{"code":"KRW-BTC","type":"trade",}"#, #"{"type":"trade""#,
        #"{"type":"trade","code":}"#,
    ])
    func objectsEndingAfterTheTypeOrBrokenAreTypedErrors(frame: String) {
        #expect(throws: MarketStreamError.self, "\(frame)") { try decode(frame) }
    }

    @Test func keysResemblingThePredictedOnesAreNotTakenForThem() throws {
        let bytes = try Samples.bytes("trade.default.json")
        let text = String(decoding: bytes, as: UTF8.self)
        // Same length as "trade_price", one byte off; and a longer key with the same prefix: both
        // unknown keys, so the frame lacks trade_price.
        for impostor in ["\"trade_pricf\":", "\"trade_price_x\":"] {
            let changed = text.replacingOccurrences(of: "\"trade_price\":", with: impostor)
            #expect(throws: MarketStreamError.self, "\(impostor)") { try decode(changed) }
        }
        // A key that differs only in the middle of a long (> 16 byte) key.
        let ticker = String(decoding: try Samples.bytes("ticker.default.json"), as: UTF8.self)
            .replacingOccurrences(of: "\"acc_trade_volume_24h\":", with: "\"acc_trade_VOLUME_24h\":")
        #expect(throws: MarketStreamError.self) { try decode(ticker) }
    }
}
