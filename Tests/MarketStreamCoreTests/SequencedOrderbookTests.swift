import MarketStreamCore
import PropertyBased
import Testing

@Suite struct SequencedOrderbookTests {
    typealias Level = SequencedOrderbook.Level

    func level(_ price: Int, _ size: Int) -> Level { Level(price: ExactDecimal(price), size: ExactDecimal(size)) }

    func change(_ first: Int64, _ last: Int64, bids: [Level] = [], asks: [Level] = []) -> SequencedOrderbook.Change {
        SequencedOrderbook.Change(firstUpdateID: first, lastUpdateID: last, bids: bids, asks: asks)
    }

    @Test func aSnapshotIsSortedBestFirstWithoutEmptyLevels() {
        let book = SequencedOrderbook(
            updateID: 10, bids: [level(98, 1), level(99, 2), level(97, 0)], asks: [level(102, 1), level(101, 3)])
        #expect(book.bids == [level(99, 2), level(98, 1)] && book.asks == [level(101, 3), level(102, 1)])
        let payload = book.orderbook()
        #expect(payload.sequence == 10 && payload.units.count == 2 && payload.totalBidSize == 3)
        #expect(payload.units[0] == Orderbook.Unit(askPrice: 101, bidPrice: 99, askSize: 3, bidSize: 2))
    }

    @Test func theFirstChangeMayStraddleTheSnapshotAndLaterOnesMustFollowOn() {
        var book = SequencedOrderbook(updateID: 100, bids: [level(99, 1)], asks: [level(101, 1)])
        #expect(book.apply(change(90, 100)) == .alreadyApplied)
        #expect(book.apply(change(95, 105, bids: [level(99, 0), level(98, 4)])) == .applied)
        #expect(book.updateID == 105 && book.bids == [level(98, 4)])
        #expect(book.apply(change(106, 110, asks: [level(100, 2)])) == .applied)
        #expect(book.asks == [level(100, 2), level(101, 1)])
        #expect(book.apply(change(112, 115)) == .gap(expected: 111, received: 112))
        #expect(book.apply(change(108, 111)) == .gap(expected: 111, received: 108), "an overlap is a sequence error")
        #expect(book.updateID == 110, "a refused change leaves the book as it was")
    }

    @Test func aFirstChangeAfterTheSnapshotsIdIsAGap() {
        var book = SequencedOrderbook(updateID: 100, bids: [], asks: [])
        #expect(book.apply(change(102, 105)) == .gap(expected: 101, received: 102))
    }

    @Test func changesKeepTheBookEqualToAPlainModel() async {
        await propertyCheck(input: Gen.int(in: 0...10_000).array(of: 1...60)) { seeds in
            var book = SequencedOrderbook(updateID: 0, bids: [], asks: [])
            var bids: [Int: Int] = [:]
            var asks: [Int: Int] = [:]
            var id: Int64 = 0
            for seed in seeds {
                let price = seed % 40
                let size = (seed / 40) % 4
                let isBid = seed % 2 == 0
                let side = isBid ? 100 - price : 101 + price
                let lvl = level(side, size)
                #expect(
                    book.apply(change(id + 1, id + 1, bids: isBid ? [lvl] : [], asks: isBid ? [] : [lvl])) == .applied)
                id += 1
                if isBid { bids[side] = size == 0 ? nil : size } else { asks[side] = size == 0 ? nil : size }
            }
            #expect(book.bids == bids.sorted { $0.key > $1.key }.map { level($0.key, $0.value) })
            #expect(book.asks == asks.sorted { $0.key < $1.key }.map { level($0.key, $0.value) })
        }
    }
}
