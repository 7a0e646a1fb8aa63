import MarketStreamCore
import Testing

@testable import MarketStreamRouting

/// The channel's lifecycle, transition by transition, with no connection and no clock.
@Suite struct ChannelStateMachineTests {
    static let reconnect = ReconnectPolicy(
        initialDelay: .seconds(1), multiplier: 2, maximumDelay: .seconds(8), jitter: 0, stablePeriod: .seconds(30))

    func machine(fallback: Bool = true, failuresBeforeFallback: Int = 3) -> ChannelStateMachine {
        ChannelStateMachine(
            reconnect: Self.reconnect,
            fallback: RESTFallbackPolicy(failuresBeforeFallback: failuresBeforeFallback, recoveryPeriod: .seconds(5)),
            hasFallback: fallback)
    }

    @Test func anUnneededChannelStaysIdleAndANeededOneConnects() {
        var machine = machine()
        #expect(machine.state == .idle)
        let outcome1 = machine.demand(isNeeded: false)
        #expect(outcome1 == .waitForDemand)
        #expect(machine.state == .idle)
        let outcome2 = machine.demand(isNeeded: true)
        #expect(outcome2 == .connect(attempt: 1))
        #expect(machine.state == .connecting(attempt: 1))
        machine.connected(at: .seconds(1))
        #expect(machine.state == .streaming)
    }

    @Test func consecutiveFailuresBackOffExponentiallyUpToTheCap() {
        var machine = machine(fallback: false)
        _ = machine.demand(isNeeded: true)
        var delays: [Duration] = []
        for _ in 1...5 {
            guard
                case .backOff(_, let delay, let fallback) = machine.ended(
                    .failed(rejectedCredentials: false), at: .zero, jitterSample: 0)
            else {
                Issue.record("a failure did not back off")
                return
            }
            #expect(!fallback)
            delays.append(delay)
            let outcome3 = machine.demand(isNeeded: true)
            #expect(outcome3 == .connect(attempt: machine.failures + 1))
        }
        #expect(delays == [.seconds(1), .seconds(2), .seconds(4), .seconds(8), .seconds(8)])
        #expect(machine.state == .connecting(attempt: 6))
    }

    @Test func aConnectionThatDeliveredDataResetsTheFailureCountSooner() {
        var machine = machine(fallback: false)
        _ = machine.demand(isNeeded: true)
        for _ in 1...3 {
            _ = machine.ended(.failed(rejectedCredentials: false), at: .zero, jitterSample: 0)
            _ = machine.demand(isNeeded: true)
        }
        #expect(machine.failures == 3)
        machine.connected(at: .seconds(100))
        // Data, but dropped after 4 s: a flapping feed keeps backing off.
        let early = machine.ended(
            .failed(rejectedCredentials: false), at: .seconds(104), jitterSample: 0, deliveredData: true)
        #expect(early == .backOff(attempt: 4, delay: .seconds(8), startFallback: false))
        _ = machine.demand(isNeeded: true)
        machine.connected(at: .seconds(200))
        // Up for 10 s without data: not yet stable (30 s).
        let dataless = machine.ended(.failed(rejectedCredentials: false), at: .seconds(210), jitterSample: 0)
        #expect(dataless == .backOff(attempt: 5, delay: .seconds(8), startFallback: false))
        _ = machine.demand(isNeeded: true)
        machine.connected(at: .seconds(300))
        // Up for 10 s with data (dropped every 10 s, say): the next retry is the first of a new run.
        let worked = machine.ended(
            .failed(rejectedCredentials: false), at: .seconds(310), jitterSample: 0, deliveredData: true)
        #expect(worked == .backOff(attempt: 1, delay: .seconds(1), startFallback: false))
    }

    @Test func aConnectionThatStayedUpResetsTheFailureCount() {
        var machine = machine(fallback: false)
        _ = machine.demand(isNeeded: true)
        _ = machine.ended(.failed(rejectedCredentials: false), at: .zero, jitterSample: 0)
        _ = machine.demand(isNeeded: true)
        _ = machine.ended(.stalled, at: .zero, jitterSample: 0)
        #expect(machine.failures == 2)
        _ = machine.demand(isNeeded: true)
        machine.connected(at: .seconds(100))
        // Up for 29 s: still counts as the same run of failures.
        let outcome4 = machine.ended(.stalled, at: .seconds(129), jitterSample: 0)
        #expect(outcome4 == .backOff(attempt: 3, delay: .seconds(4), startFallback: false))
        _ = machine.demand(isNeeded: true)
        machine.connected(at: .seconds(200))
        // Up for 30 s: stable, so this failure is the first of a new run.
        let outcome5 = machine.ended(.stalled, at: .seconds(230), jitterSample: 0)
        #expect(outcome5 == .backOff(attempt: 1, delay: .seconds(1), startFallback: false))
    }

    @Test func aCleanCloseOrAnEmptySetResetWaitsForDemandWithoutBackoff() {
        var machine = machine()
        _ = machine.demand(isNeeded: true)
        _ = machine.ended(.failed(rejectedCredentials: false), at: .zero, jitterSample: 0)
        _ = machine.demand(isNeeded: true)
        let outcome6 = machine.ended(.notNeeded, at: .zero, jitterSample: 0)
        #expect(outcome6 == .waitForDemand)
        #expect(machine.failures == 0 && machine.state == .idle)
        _ = machine.demand(isNeeded: true)
        let outcome7 = machine.ended(.resetForEmptySet, at: .zero, jitterSample: 0)
        #expect(outcome7 == .waitForDemand)
        let outcome8 = machine.demand(isNeeded: true)
        #expect(outcome8 == .connect(attempt: 1))
    }

    @Test func afterABackoffAnUnneededChannelGoesIdle() {
        var machine = machine()
        _ = machine.demand(isNeeded: true)
        _ = machine.ended(.stalled, at: .zero, jitterSample: 0)
        #expect(machine.state == .backingOff(attempt: 1, delay: .seconds(1)))
        let outcome9 = machine.demand(isNeeded: false)
        #expect(outcome9 == .waitForDemand)
        #expect(machine.state == .idle)
    }

    @Test func restPollingStartsAfterEnoughFailuresOnceAndEndsWhenTheStreamStaysUp() {
        var machine = machine(failuresBeforeFallback: 3)
        var starts: [Bool] = []
        for _ in 1...4 {
            _ = machine.demand(isNeeded: true)
            if case .backOff(_, _, let start) = machine.ended(
                .failed(rejectedCredentials: false), at: .zero, jitterSample: 0)
            {
                starts.append(start)
            }
        }
        #expect(starts == [false, false, true, false], "polling starts once, at the third failure")
        #expect(machine.isPolling)
        _ = machine.demand(isNeeded: true)
        machine.connected(at: .seconds(10))
        #expect(machine.pollingEndsAt == .seconds(15))
        let outcome10 = machine.streamStayedUp(at: .seconds(14))
        #expect(!outcome10)
        #expect(machine.isPolling)
        let outcome11 = machine.streamStayedUp(at: .seconds(15))
        #expect(outcome11)
        #expect(!machine.isPolling && machine.pollingEndsAt == nil)
        let outcome12 = machine.streamStayedUp(at: .seconds(16))
        #expect(!outcome12, "ending twice is not a second change")
    }

    @Test func rejectedCredentialsStartPollingAtTheFirstFailure() {
        var machine = machine(failuresBeforeFallback: 3)
        _ = machine.demand(isNeeded: true)
        let outcome13 = machine.ended(.failed(rejectedCredentials: true), at: .zero, jitterSample: 0)
        #expect(outcome13 == .backOff(attempt: 1, delay: .seconds(1), startFallback: true))
    }

    @Test func withoutAFallbackNothingEverPolls() {
        var machine = machine(fallback: false)
        _ = machine.demand(isNeeded: true)
        let outcome14 = machine.ended(.failed(rejectedCredentials: true), at: .zero, jitterSample: 0)
        #expect(outcome14 == .backOff(attempt: 1, delay: .seconds(1), startFallback: false))
        #expect(!machine.isPolling)
    }

    @Test func aStoppedChannelOnlyStops() {
        var machine = machine()
        _ = machine.demand(isNeeded: true)
        machine.stop()
        #expect(machine.state == .stopped)
        let outcome15 = machine.demand(isNeeded: true)
        #expect(outcome15 == .stop)
        let outcome16 = machine.ended(.stalled, at: .zero, jitterSample: 0)
        #expect(outcome16 == .stop)
    }
}
