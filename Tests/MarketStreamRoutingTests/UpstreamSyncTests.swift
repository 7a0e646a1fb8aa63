import MarketStreamCore
import Testing

@testable import MarketStreamRouting

@Suite struct UpstreamSyncTests {
    func makeSync(debounce: Duration = .milliseconds(100)) -> UpstreamSync {
        UpstreamSync(
            channel: .public, debounce: debounce,
            messageLimits: [RateLimit(5, per: .seconds(1)), RateLimit(100, per: .seconds(60))])
    }

    @Test func aFreshConnectionRestoresEverythingInItsFirstRequest() {
        var sync = makeSync()
        let desired: Set = [topic(btc), topic(eth)]
        let first = sync.nextStep(now: .zero, desired: desired, snapshots: [])
        #expect(first == .wait(until: .milliseconds(100)), "the restore is batched like any change")
        guard case .send(let request) = sync.nextStep(now: .milliseconds(100), desired: desired, snapshots: []) else {
            Issue.record("expected a restore")
            return
        }
        #expect(request.desired == desired && request.added == desired && request.removed.isEmpty)
        #expect(request.sequence == 1)
    }

    @Test func anEmptyFreshConnectionSendsNothing() {
        var sync = makeSync()
        let step = sync.nextStep(now: .zero, desired: [], snapshots: [])
        #expect(step == .wait(until: nil))
        #expect(sync.upstream == [])
    }

    @Test func changesWaitForTheDebounceWindowAndGoAsOne() {
        var sync = makeSync()
        _ = sync.nextStep(now: .zero, desired: [], snapshots: [])
        let first = sync.nextStep(now: .seconds(1), desired: [topic(btc)], snapshots: [])
        #expect(first == .wait(until: .milliseconds(1_100)))
        let second = sync.nextStep(now: .milliseconds(1_050), desired: [topic(btc), topic(eth)], snapshots: [])
        #expect(second == .wait(until: .milliseconds(1_100)), "a later change joins the same window")
        guard
            case .send(let request) = sync.nextStep(
                now: .milliseconds(1_100), desired: [topic(btc), topic(eth)], snapshots: [])
        else {
            Issue.record("expected a flush")
            return
        }
        #expect(request.added == [topic(btc), topic(eth)])
    }

    @Test func aFlushThatChangesNothingSendsNothing() {
        var sync = makeSync()
        let step = sync.nextStep(now: .zero, desired: [topic(btc)], snapshots: [])
        #expect(step == .wait(until: .milliseconds(100)))
        guard case .send(let request) = sync.nextStep(now: .milliseconds(100), desired: [topic(btc)], snapshots: [])
        else {
            Issue.record("expected restore")
            return
        }
        sync.recordMessage(at: .zero)
        sync.didApply(request)
        // Add and remove within one window: the set is back where it was.
        let next = sync.nextStep(now: .seconds(1), desired: [topic(btc)], snapshots: [])
        #expect(next == .wait(until: nil))
        #expect(sync.messagesSent(within: .seconds(60), at: .seconds(1)) == 1)
    }

    @Test func snapshotsAlwaysFlushAndReListLiveTopics() {
        var sync = makeSync(debounce: .zero)
        guard case .send(let first) = sync.nextStep(now: .zero, desired: [topic(btc)], snapshots: []) else {
            Issue.record("expected restore"); return
        }
        sync.recordMessage(at: .zero)
        sync.didApply(first)
        guard case .send(let request) = sync.nextStep(now: .seconds(1), desired: [topic(btc)], snapshots: [topic(eth)])
        else {
            Issue.record("expected a snapshot request"); return
        }
        #expect(request.desired == [topic(btc)], "the live topic is re-listed")
        #expect(request.snapshots == [topic(eth)] && request.added.isEmpty && request.removed.isEmpty)
    }

    @Test func sustainedChurnNeverExceedsTheMessageLimits() {
        var sync = makeSync()
        _ = sync.nextStep(now: .zero, desired: [], snapshots: [])
        var sent: [Duration] = []
        var lastSent: Set<SubscriptionTopic> = []
        var desired: Set<SubscriptionTopic> = []
        let pool = markets(50).map { topic($0) }
        var now = Duration.zero
        var step = 0
        // A change every 10 ms for three minutes.
        while now < .seconds(180) {
            step += 1
            let t = pool[step % pool.count]
            if desired.contains(t) { desired.remove(t) } else { desired.insert(t) }
            if case .send(let request) = sync.nextStep(now: now, desired: desired, snapshots: []) {
                #expect(request.desired != lastSent, "a flush never repeats an unchanged set")
                #expect(request.desired == desired, "a flush carries the latest set")
                lastSent = request.desired
                sync.recordMessage(at: now)
                sync.didApply(request)
                sent.append(now)
            }
            now += .milliseconds(10)
        }
        #expect(!sent.isEmpty)
        for (index, time) in sent.enumerated() {
            #expect(sent[index...].prefix { $0 < time + .seconds(1) }.count <= 5)
            #expect(sent[index...].prefix { $0 < time + .seconds(60) }.count <= 100)
        }
    }
}
