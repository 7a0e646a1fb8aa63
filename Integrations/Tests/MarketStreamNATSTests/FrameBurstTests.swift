import MarketStreamCore
import NIOCore
import Synchronization
import Testing

@testable import MarketStreamNATS

/// A bus connection holds frames only while more of their subscription's messages are queued,
/// and hands them over together, in order.
@Suite struct FrameBurstTests {
    /// What the router was handed: a lone frame, or several at once.
    enum Handover: Equatable {
        case one(String)
        case many([String])
    }

    final class RecordingHandler: ConnectionHandler {
        let handovers = Mutex<[Handover]>([])

        func run(outbound: any WebSocketOutbound) async throws {}
        func receive(_ frame: WebSocketMessage) {
            handovers.withLock { $0.append(.one(String(buffer: frame.bytes))) }
        }
        func receive(contentsOf frames: [WebSocketMessage]) {
            handovers.withLock { $0.append(.many(frames.map { String(buffer: $0.bytes) })) }
        }
        func receivedPong() {}
    }

    @Test func aFrameWithNothingQueuedBehindItGoesAtOnce() {
        let handler = RecordingHandler()
        let burst = FrameBurst(handler: handler)
        burst.hand(.text("a"), morePending: false)
        burst.hand(.text("b"), morePending: false)
        #expect(handler.handovers.withLock { $0 } == [.one("a"), .one("b")])
        #expect(burst.count == 0)
    }

    @Test func framesWaitForTheQueuedOnesThenGoTogetherInOrder() {
        let handler = RecordingHandler()
        let burst = FrameBurst(handler: handler)
        for text in ["a", "b", "c"] { burst.hand(.text(text), morePending: true) }
        #expect(handler.handovers.withLock { $0 }.isEmpty)
        #expect(burst.count == 3)
        burst.hand(.text("d"), morePending: false)
        #expect(handler.handovers.withLock { $0 } == [.many(["a", "b", "c", "d"])])
        #expect(burst.count == 0)
    }

    @Test func aMessageNotHandedOverStillEndsTheBurstWhenNothingIsBehindIt() {
        let handler = RecordingHandler()
        let burst = FrameBurst(handler: handler)
        burst.hand(nil, morePending: false)
        #expect(handler.handovers.withLock { $0 }.isEmpty, "nothing held, nothing handed over")
        burst.hand(.text("a"), morePending: true)
        burst.hand(nil, morePending: true)
        #expect(burst.count == 1, "more is queued: the burst goes on")
        burst.hand(nil, morePending: false)
        #expect(handler.handovers.withLock { $0 } == [.many(["a"])])
        #expect(burst.count == 0)
    }

    @Test func aBurstGoesAtItsLimitEvenWithMorePending() {
        let handler = RecordingHandler()
        let burst = FrameBurst(handler: handler)
        for index in 0..<(FrameBurst.limit + 1) { burst.hand(.text("\(index)"), morePending: true) }
        #expect(handler.handovers.withLock { $0 } == [.many((0..<FrameBurst.limit).map { "\($0)" })])
        #expect(burst.count == 1)
    }

    @Test func endingABurstHandsOverWhatIsHeldAndNothingWhenEmpty() {
        let handler = RecordingHandler()
        let burst = FrameBurst(handler: handler)
        burst.end()
        #expect(handler.handovers.withLock { $0 }.isEmpty)
        burst.hand(.text("a"), morePending: true)
        burst.hand(.text("b"), morePending: true)
        burst.end()
        #expect(handler.handovers.withLock { $0 } == [.many(["a", "b"])])
        #expect(burst.count == 0)
    }
}
