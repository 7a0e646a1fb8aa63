import CoreMetrics
import MarketStreamCore
import Metrics

/// Decides when one connection sends its next subscription request; performs no I/O.
///
/// Implements the "pending state" batching of the design: a change starts one debounce window;
/// every change inside it joins the same flush, which carries the *latest* desired set; the
/// connection's message limits are never exceeded; a flush that would not change the upstream set
/// (and asks for no snapshot) sends nothing. A fresh connection starts from an empty set, so its
/// first request restores the full desired set, batched with whatever changes arrive meanwhile.
struct UpstreamSync: Sendable {
    enum Step: Equatable, Sendable {
        /// Send this request now.
        case send(SubscriptionRequest)
        /// Nothing to send before this time; `nil` means the exchange is in sync until the next change.
        case wait(until: Duration?)
    }

    let channel: ChannelID
    let debounce: Duration
    /// What the exchange has for this connection.
    private(set) var upstream: Set<SubscriptionTopic> = []
    private var dirtySince: Duration?
    private var limiter: SlidingWindowRateLimiter
    private(set) var sequence = 0

    init(channel: ChannelID, debounce: Duration, messageLimits: [RateLimit]) {
        self.channel = channel
        self.debounce = debounce
        limiter = SlidingWindowRateLimiter(limits: messageLimits)
    }

    /// The next thing to do, given the channel's current desired set and pending snapshots.
    mutating func nextStep(
        now: Duration, desired: Set<SubscriptionTopic>, snapshots: Set<SubscriptionTopic>
    ) -> Step {
        let permitted = limiter.earliestPermitted(at: now)
        guard desired != upstream || !snapshots.isEmpty else {
            dirtySince = nil
            return .wait(until: nil)
        }
        let since = dirtySince ?? now
        dirtySince = since
        let due = max(since + debounce, permitted)
        return due > now ? .wait(until: due) : .send(request(desired: desired, snapshots: snapshots))
    }

    /// The earliest time the next message may be sent.
    func earliestPermitted(at now: Duration) -> Duration { limiter.earliestPermitted(at: now) }

    /// Records that one message of a request went out at `now`.
    mutating func recordMessage(at now: Duration) {
        limiter.record(at: now)
    }

    /// Records that `request` is now the exchange's state.
    mutating func didApply(_ request: SubscriptionRequest) {
        upstream = request.desired
        dirtySince = nil
        sequence = request.sequence
    }

    /// Records what the exchange reports it has (after an audit); a difference from the desired set
    /// then makes the next step resend.
    mutating func assumeUpstream(_ reported: Set<SubscriptionTopic>) {
        upstream = reported
    }

    /// How many messages were sent within `interval` before `now`.
    func messagesSent(within interval: Duration, at now: Duration) -> Int {
        limiter.count(within: interval, at: now)
    }

    private func request(desired: Set<SubscriptionTopic>, snapshots: Set<SubscriptionTopic>) -> SubscriptionRequest {
        SubscriptionRequest(
            channel: channel, desired: desired, added: desired.subtracting(upstream),
            removed: upstream.subtracting(desired), snapshots: snapshots, sequence: sequence + 1
        )
    }
}
