import Logging

/// Which of a venue's gateways serves: the one holding the key `leader` in the JetStream
/// key-value bucket `ms-gateway-<venue>`, whose values expire after ``ttl``.
///
/// A gateway creates the key (which succeeds only while nobody holds it) and then renews it by
/// compare-and-swap every quarter of the lifetime; the others (warm standbys) retry the create
/// every eighth. When the leader dies (`kill -9`), its key expires and a standby's create
/// succeeds within `ttl` plus an eighth of it. The revision the create returned is the new
/// leader's epoch, its fencing token: revisions only grow, so subscribers ignore whatever the old
/// leader might still publish. A leader that stops gracefully deletes the key, so a standby takes
/// over within an eighth of `ttl` instead of waiting for the key to expire.
public struct GatewayLeadership: Sendable {
    let store: NATSKeyValue
    let id: String
    /// How long the key outlives its last renewal.
    public let ttl: Duration

    /// Opens the venue's leadership bucket.
    /// - Parameters:
    ///   - bus: A connection to a NATS server with JetStream.
    ///   - venue: The venue's subject token.
    ///   - id: This gateway's name (the key's value).
    ///   - ttl: How long a dead leader keeps the lead (default 2 s).
    public init(bus: NATSConnection, venue: String, id: String, ttl: Duration = .seconds(2)) async throws {
        store = try await bus.keyValue(bucket: "ms-gateway-\(venue)", ttl: ttl)
        self.id = id
        self.ttl = ttl
    }

    /// Waits until this gateway leads.
    /// - Returns: Its epoch (the key's revision).
    public func acquire() async throws -> UInt64 {
        while true {
            try Task.checkCancellation()
            if let revision = try await tryAcquire() { return revision }
            try await Task.sleep(for: ttl / 8)
        }
    }

    /// Takes the lead if nobody holds it.
    /// - Returns: The epoch (the key's revision), or `nil` while another gateway leads.
    public func tryAcquire() async throws -> UInt64? {
        try await store.create("leader", value: Array(id.utf8))
    }

    /// Renews the lead until it is lost (another gateway's revision came first) or the task is
    /// cancelled; then, if the lead is still this gateway's, steps down by deleting the key.
    /// - Parameter revision: The revision of the last write.
    /// - Throws: ``NATSError`` once the lead is lost; `CancellationError` once cancelled.
    public func hold(from revision: UInt64) async throws {
        var last = revision
        let clock = ContinuousClock()
        var renewedAt = clock.now
        do {
            while true {
                try await Task.sleep(for: ttl / 4)
                guard let next = try await store.update("leader", value: Array(id.utf8), last: last) else {
                    throw NATSError(.failed, "\(id) lost the lead")
                }
                last = next
                renewedAt = clock.now
            }
        } catch is CancellationError {
            // Only this gateway writes the key while it holds (a standby's create fails), so a key
            // renewed well within its lifetime is still ours: no other gateway's lead is deleted.
            // The delete runs in a task of its own: this one is cancelled, and the thread pool
            // refuses work for a cancelled task.
            if clock.now - renewedAt < ttl / 2 {
                let store = self.store
                try? await Task { try await store.delete("leader") }.value
            }
            throw CancellationError()
        }
    }
}
