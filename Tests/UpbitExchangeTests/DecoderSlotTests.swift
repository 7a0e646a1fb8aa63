import Foundation
import MarketStreamCore
import Testing

@testable import UpbitExchange

/// The decoder's slots are cleared for each object of an array by its table's fields only: what
/// one object set must not show through in the next.
@Suite struct DecoderSlotTests {
    static let book =
        #"{"type":"orderbook","code":"KRW-BTC","timestamp":1790134742106,"total_ask_size":1.5,"#
        + #""total_bid_size":2.5,"orderbook_units":[UNITS],"stream_type":"REALTIME","level":0}"#

    static func book(units: String) -> String { book.replacingOccurrences(of: "UNITS", with: units) }

    @Test func aLevelLackingAFieldTheLevelBeforeHadIsAnError() throws {
        let whole = #"{"ask_price":10,"bid_price":9,"ask_size":1,"bid_size":2}"#
        let lacking = #"{"ask_price":11,"bid_price":8,"ask_size":3}"#
        let output = try decode(Self.book(units: whole + "," + whole))
        guard case .orderbook(let book) = output.events.first?.payload else {
            Issue.record("no book")
            return
        }
        #expect(book.units.count == 2)
        #expect(throws: MarketStreamError.self) { try decode(Self.book(units: whole + "," + lacking)) }
    }

    /// The objects of a list frame each get slots of their own, empty: a change that shared one
    /// set of slots across them without clearing it would let the first's `trade_price` stand
    /// in for the second's.
    @Test func aFieldOfTheObjectBeforeDoesNotShowInTheNext() throws {
        let ticker = String(decoding: try Samples.bytes("ticker.default.json"), as: UTF8.self)
        let lacking = ticker.replacingOccurrences(of: #""trade_price":116539000.0,"#, with: "")
        #expect(lacking != ticker)
        #expect(throws: MarketStreamError.self) { try decode("[" + ticker + "," + lacking + "]") }
        #expect(try decode("[" + ticker + "," + ticker + "]").events.count == 2)
    }

    @Test func everyFieldHasASlotWithinTheStacksKibibyte() {
        #expect(UpbitField.count <= UpbitFrameDecoder.slotCapacity)
        // Twelve bytes a slot: the slots of one object stay within the 1 KiB Swift keeps on the stack.
        #expect(MemoryLayout<UpbitFrameDecoder.StoredSlot?>.stride * UpbitFrameDecoder.slotCapacity <= 1_024)
    }
}
