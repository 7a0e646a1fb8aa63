import Testing

@testable import MarketStreamRouting

/// When a planned rotation starts and how long its replacement watches for the overlap.
@Suite struct RotationScheduleTests {
    @Test func binancesDayLongConnectionsAreReplacedTenMinutesBeforeTheyClose() {
        let day = Duration.seconds(24 * 3_600)
        #expect(MarketDataRouter.rotationLead(for: day) == .seconds(600))
        #expect(MarketDataRouter.overlapWindow(for: day) == .seconds(1))
    }

    @Test func shortLifetimesAreReplacedHalfwayAndWatchedForAnEighthOfTheLead() {
        #expect(MarketDataRouter.rotationLead(for: .seconds(8)) == .seconds(4))
        #expect(MarketDataRouter.overlapWindow(for: .seconds(8)) == .milliseconds(500))
    }
}
