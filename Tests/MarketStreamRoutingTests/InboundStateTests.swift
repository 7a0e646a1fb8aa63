import MarketStreamCore
import Testing

@testable import MarketStreamRouting

/// The read path's rules for a planned rotation, value by value: the active connection never
/// delivers an event ordered at or before its topic's last, a replacement holds what it decodes
/// and on taking over delivers only what comes after the outgoing connection's last, and it is
/// ready once every topic that flows has overlapped.
@Suite struct InboundStateTests {
    func trade(_ id: Int64, _ market: MarketCode = btc) -> MarketEvent {
        MarketEvent(
            exchange: "memory", kind: .trade, market: market, stream: .realtime, timestamp: UnixTime(milliseconds: id),
            receivedAt: UnixTime(milliseconds: id), generation: ConnectionGeneration(1),
            payload: .trade(Trade(id: id, price: 1, size: 1, side: .bid)))
    }

    func ids(_ events: [MarketEvent]) -> [Int64] {
        events.compactMap { event in
            guard case .trade(let trade) = event.payload else { return nil }
            return trade.id
        }
    }

    @Test func anActiveConnectionOnARotatingChannelDeliversEachTopicsEventsInOrderOnce() {
        var state = InboundState(role: .active, keepsMarks: true)
        let admitted = [trade(10), trade(11), trade(11), trade(9), trade(5, eth)].map { state.admit($0) }
        // A duplicate and an older event are not delivered; each topic has its own order.
        #expect(admitted == [true, true, false, false, true])
        var plain = InboundState(role: .active, keepsMarks: false)
        let plainAdmitted = [trade(10), trade(10)].map { plain.admit($0) }
        #expect(plainAdmitted == [true, true], "channels that never rotate keep no marks")
    }

    func ticker(at milliseconds: Int64) -> MarketEvent {
        MarketEvent(
            exchange: "memory", kind: .ticker, market: btc, stream: .realtime,
            timestamp: UnixTime(milliseconds: milliseconds), receivedAt: UnixTime(milliseconds: milliseconds),
            generation: ConnectionGeneration(1), payload: .ticker(Ticker(price: 1)))
    }

    @Test func eventsStampedInTheSameMillisecondAreNewEventsExceptAcrossAHandover() {
        // Found by a replay that lost one of the mock's tickers: two in one millisecond.
        var state = InboundState(role: .active, keepsMarks: true)
        let admitted = [ticker(at: 10), ticker(at: 10), ticker(at: 9), ticker(at: 11)].map { state.admit($0) }
        #expect(admitted == [true, true, false, true])
        // A replacement cannot tell the old connection's last from a new one of the same
        // millisecond: it delivers from the next millisecond on, then again every event.
        var standby = InboundState(role: .standby, keepsMarks: true)
        for milliseconds: Int64 in [11, 12] { standby.hold(ticker(at: milliseconds)) }
        #expect(standby.promote(inheriting: state.retire()).map(\.timestamp.milliseconds) == [12])
        let later = [ticker(at: 12), ticker(at: 12)].map { standby.admit($0) }
        #expect(later == [true, true])
    }

    @Test func aReplacementDeliversOnlyWhatFollowsTheOutgoingConnectionsLastEvent() {
        var outgoing = InboundState(role: .active, keepsMarks: true)
        var standby = InboundState(role: .standby, keepsMarks: true)
        outgoing.beginHandover()
        for id: Int64 in 1...5 { _ = outgoing.admit(trade(id)) }
        // The replacement joined at 4 and is ahead: 4 and 5 were delivered already.
        for id: Int64 in 4...8 { standby.hold(trade(id)) }
        let inherited = outgoing.retire()
        #expect(outgoing.role == .retired)
        let delivered = standby.promote(inheriting: inherited)
        #expect(ids(delivered) == [6, 7, 8])
        #expect(standby.role == .active)
        // Later frames of the replacement that the old one had delivered stay filtered.
        let later = [trade(8), trade(9)].map { standby.admit($0) }
        #expect(later == [false, true])
    }

    @Test func aReplacementIsReadyOnceEveryFlowingTopicOverlaps() {
        var outgoing = InboundState(role: .active, keepsMarks: true)
        var standby = InboundState(role: .standby, keepsMarks: true)
        _ = outgoing.admit(trade(1, xrp))
        outgoing.beginHandover()
        _ = outgoing.admit(trade(100))
        _ = outgoing.admit(trade(50, eth))
        // Nothing seen yet on the replacement: both flowing topics are missing; XRP was quiet.
        #expect(standby.topicsWithoutOverlap(outgoing.handoverMarks).count == 2)
        standby.hold(trade(99))
        #expect(standby.topicsWithoutOverlap(outgoing.handoverMarks) == [topic(eth, .trade)], "BTC overlaps at 99…100")
        // ETH on the replacement starts after the old connection's last: 51 would be lost.
        standby.hold(trade(52, eth))
        #expect(standby.topicsWithoutOverlap(outgoing.handoverMarks) == [topic(eth, .trade)])
        _ = outgoing.admit(trade(51, eth))
        _ = outgoing.admit(trade(52, eth))
        #expect(standby.topicsWithoutOverlap(outgoing.handoverMarks).isEmpty)
        let delivered = standby.promote(inheriting: outgoing.retire())
        #expect(ids(delivered).isEmpty, "everything held was delivered by the old connection")
    }

    @Test func aReplacementHoldsAtMostTheLimit() {
        var standby = InboundState(role: .standby, keepsMarks: true)
        for id in 0..<Int64(InboundState.holdLimit + 10) { standby.hold(trade(id)) }
        #expect(standby.isHoldingLimit && standby.held.count == InboundState.holdLimit)
    }
}
