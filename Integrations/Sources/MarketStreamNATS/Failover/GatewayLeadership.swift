import Logging

/// Which of a venue's gateways serves: the one holding the key `leader` in the JetStream
/// key-value bucket `ms-gateway-<venue>`, whose values expire after ``ttl``.
///
/// A gateway creates the key (which succeeds only while nobody holds it) and then renews it by
/// compare-and-swap every quarter of the lifetime; the others (warm standbys) retry the create
/// every eighth. When the leader dies (`kill -9`), its key expires and a standby's create
/// succeeds within `ttl` plus an eighth of it. The revision the create returned is the new
/// leader's epoch, its fencing token: revisions only grow, so subscribers ignore whatever the old
/// leader might still publish.
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
            if let revision = try await store.create("leader", value: Array(id.utf8)) { return revision }
            try await Task.sleep(for: ttl / 8)
        }
    }

    /// Renews the lead until it is lost (another gateway's revision came first) or the task is
    /// cancelled.
    /// - Parameter revision: The revision of the last write.
    /// - Throws: ``NATSError`` once the lead is lost.
    public func hold(from revision: UInt64) async throws {
        var last = revision
        while true {
            try await Task.sleep(for: ttl / 4)
            guard let next = try await store.update("leader", value: Array(id.utf8), last: last) else {
                throw NATSError(.failed, "\(id) lost the lead")
            }
            last = next
        }
    }
}
