import MarketStreamCore
import Testing

@testable import MarketStreamRouting

@Suite struct RateLimiterTests {
    let upbit = [RateLimit(5, per: .seconds(1)), RateLimit(100, per: .seconds(60))]

    @Test func allowsFivePerSecondThenWaits() {
        var limiter = SlidingWindowRateLimiter(limits: upbit)
        for i in 0..<5 {
            #expect(limiter.earliestPermitted(at: .milliseconds(i)) == .milliseconds(i))
            limiter.record(at: .milliseconds(i))
        }
        #expect(limiter.earliestPermitted(at: .milliseconds(5)) == .milliseconds(1_000))
        #expect(limiter.count(within: .seconds(1), at: .milliseconds(5)) == 5)
    }

    @Test func neverExceedsEitherWindowUnderSustainedDemand() {
        var limiter = SlidingWindowRateLimiter(limits: upbit)
        var now = Duration.zero
        var sent: [Duration] = []
        while now < .seconds(180) {
            now = limiter.earliestPermitted(at: now)
            limiter.record(at: now)
            sent.append(now)
        }
        for (index, time) in sent.enumerated() {
            let inSecond = sent[index...].prefix { $0 < time + .seconds(1) }.count
            let inMinute = sent[index...].prefix { $0 < time + .seconds(60) }.count
            #expect(inSecond <= 5)
            #expect(inMinute <= 100)
        }
        // Sustained throughput settles at the per-minute budget.
        #expect(sent.count >= 280 && sent.count <= 305)
    }

    @Test func describesItself() {
        #expect(RateLimit(5, per: .seconds(1)).description == "5/1.0 seconds")
    }
}

@Suite struct ReconnectPolicyTests {
    @Test func growsExponentiallyUpToTheCap() {
        let policy = ReconnectPolicy(
            initialDelay: .milliseconds(250), multiplier: 2, maximumDelay: .seconds(30), jitter: 0.2)
        #expect(policy.delay(beforeAttempt: 1, jitterSample: 0) == .milliseconds(250))
        #expect(policy.delay(beforeAttempt: 2, jitterSample: 0) == .milliseconds(500))
        #expect(policy.delay(beforeAttempt: 4, jitterSample: 0) == .seconds(2))
        #expect(policy.delay(beforeAttempt: 30, jitterSample: 0) == .seconds(30))
        #expect(policy.delay(beforeAttempt: 10_000, jitterSample: 0) == .seconds(30))
    }

    @Test func jitterOnlyShortensDelaysWithinItsFraction() {
        let policy = ReconnectPolicy(jitter: 0.2)
        for sample in stride(from: 0.0, to: 1.0, by: 0.05) {
            let delay = policy.delay(beforeAttempt: 3, jitterSample: sample)
            #expect(delay <= .seconds(1) && delay >= .milliseconds(800))
        }
        #expect(ReconnectPolicy(jitter: 5).jitter == 1)
        #expect(ReconnectPolicy(initialDelay: .seconds(2), maximumDelay: .seconds(1)).maximumDelay == .seconds(2))
    }
}
