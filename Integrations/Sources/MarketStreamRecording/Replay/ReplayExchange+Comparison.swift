import Logging
import MarketStreamCore
import Synchronization

/// Comparing the router's subscription messages with the recorded ones
/// (``ReplayExchange/subscriptionMismatches``).
extension ReplayExchange {
    /// Waits (moving the router's clock, for at most a second of it) until the router's latest
    /// subscription message on `shard`'s connection asks for what the recorded one asked for. The
    /// latest, not the n-th, and a difference counts only once the connection's recorded set is
    /// final: a router may reach the same set in more or fewer messages than it did while
    /// recording (a subscription made while the connection opened went out in a message of its
    /// own, or in the first).
    func expectRouterSend(_ recorded: String, on shard: Int) async throws {
        let matched = try await stepClock(for: .seconds(1)) { routerSent(recorded, on: shard) }
        // A later recorded message supersedes an earlier one that the router skipped.
        state.withLock { $0.unmatchedSent[shard] = matched ? nil : recorded }
    }

    /// Whether the router's latest subscription message on `shard`'s connection asks for what
    /// `recorded` asked for.
    func routerSent(_ recorded: String, on shard: Int) -> Bool {
        state.withLock { $0.served[shard]?.latest }.map { SubscriptionComparison.sameRequest($0, recorded) } ?? false
    }

    /// Counts a difference when the last recorded subscription message of `shard`'s connection
    /// is not what the router asks for (called as the connection ends, and at the recording's end).
    func settleSent(on shard: Int) {
        let (recorded, latest) = state.withLock {
            ($0.unmatchedSent.removeValue(forKey: shard), $0.served[shard]?.latest)
        }
        guard let recorded, !(latest.map { SubscriptionComparison.sameRequest($0, recorded) } ?? false) else { return }
        noteMismatch(
            "the strategy subscribed differently than was recorded: sent \(latest ?? "nothing"), recorded \(recorded)")
    }

    func noteMismatch(_ message: String) {
        let first = state.withLock { state -> Bool in
            state.mismatches += 1
            return state.mismatches == 1
        }
        if first { logger.warning("\(message)") }
    }
}
