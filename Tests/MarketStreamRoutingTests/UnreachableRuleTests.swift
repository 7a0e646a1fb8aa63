import MarketStreamCore
import Testing

@testable import MarketStreamRouting

/// The one rule both `watch` commands end on: the third failed try in a row, or a later one.
@Suite struct UnreachableRuleTests {
    static func event(_ kind: ConnectionEvent.Kind) -> ConnectionEvent {
        ConnectionEvent(channel: publicChannel, generation: ConnectionGeneration(1), kind: kind)
    }

    static let refused = MarketStreamError(.connectionRefused, "refused")

    @Test func theThirdFailedTryInARowAndLaterOnesNameTheReason() {
        for attempt in 1...5 {
            let reason = Self.event(.reconnecting(attempt: attempt, delay: .seconds(1), reason: Self.refused))
                .unreachableReason
            #expect((reason == nil) == (attempt < ConnectionEvent.unreachableAfterAttempts), "attempt \(attempt)")
            if let reason { #expect(reason.code == .connectionRefused) }
        }
    }

    @Test func otherEventsAreNotUnreachable() {
        #expect(Self.event(.restored).unreachableReason == nil)
        #expect(Self.event(.exchangeError(Self.refused)).unreachableReason == nil)
        #expect(Self.event(.pollFailed(Self.refused)).unreachableReason == nil)
    }
}
