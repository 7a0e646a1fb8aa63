import Testing

@testable import MarketStreamNATS

/// Where a remote connection places each message's sequence number on its subject.
@Suite struct SubjectSequencesTests {
    @Test func eachSubjectIsNumberedOnItsOwn() {
        var sequences = SubjectSequences()
        #expect(sequences.place(7, on: "ms.v1.upbit.ticker.KRW-BTC") == .next, "a first message is taken as it is")
        #expect(sequences.place(1, on: "ms.v1.upbit.ticker.KRW-ETH") == .next)
        #expect(sequences.place(8, on: "ms.v1.upbit.ticker.KRW-BTC") == .next)
        #expect(sequences.place(2, on: "ms.v1.upbit.ticker.KRW-ETH") == .next)
    }

    @Test func aRepeatIsOldAndLeavesTheLastAsItWas() {
        var sequences = SubjectSequences()
        _ = sequences.place(5, on: "s")
        #expect(sequences.place(5, on: "s") == .old)
        #expect(sequences.place(3, on: "s") == .old)
        #expect(sequences.place(6, on: "s") == .next, "the last is still 5")
    }

    @Test func aNumberPastTheNextIsAGapAndBecomesTheLast() {
        var sequences = SubjectSequences()
        _ = sequences.place(5, on: "s")
        #expect(sequences.place(9, on: "s") == .gap)
        #expect(sequences.place(10, on: "s") == .next)
        #expect(sequences.place(9, on: "s") == .old)
    }

    @Test func aForgottenSubjectStartsAgain() {
        var sequences = SubjectSequences()
        _ = sequences.place(5, on: "s")
        sequences.forget("s")
        #expect(sequences.place(1, on: "s") == .next, "a new subscription's first message")
    }
}
