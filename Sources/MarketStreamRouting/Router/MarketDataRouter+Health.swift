import MarketStreamCore
import Synchronization

extension MarketDataRouter {
    /// A snapshot of the router's health: overall status and per-channel details.
    ///
    /// Each channel's figures come from its own record and counters. The only lock a read path
    /// shares with a health call is a broadcast log's, held for a few instructions on either side
    /// (health counts the drops of a subscriber that fell behind the log, so the figure is exact).
    public func health() -> RouterHealth {
        let wallNow = wallClock()
        struct Shared {
            var live: [ChannelKey: (subscribers: Int, dropped: Int)] = [:]
            var stale: [ChannelKey: [TopicFreshness]] = [:]
            var needed: [ChannelKey: Bool] = [:]
            var subscribers = 0
        }
        let shared = state.withLock { state -> Shared in
            var shared = Shared()
            for record in state.subscribers.values where !record.isSnapshotWaiter {
                shared.live[record.channel, default: (0, 0)].subscribers += 1
                shared.live[record.channel, default: (0, 0)].dropped += record.buffer.droppedCount
                shared.subscribers += 1
            }
            shared.stale = state.staleTopics(now: wallNow.nanoseconds, policy: configuration.freshness)
            for runtime in runtimes.values {
                let staysWarm = runtime.descriptor.staysWarm && configuration.keepsChannelsWarm
                shared.needed[runtime.key] = state.needsConnection(
                    runtime.key, staysWarm: staysWarm, snapshotsPending: runtime.snapshotsPending)
            }
            return shared
        }
        let channels = runtimes.values.sorted { $0.key.description < $1.key.description }.map { runtime in
            let key = runtime.key
            let record = runtime.record.withLock { $0 }
            let shards = runtime.shards
            let links = shards.map { $0.link.withLock { $0 } }
            let lastMessage = runtime.lastMessageAt.load(ordering: .relaxed)
            return ChannelHealth(
                channel: key, state: Self.state(of: shards), generation: runtime.generation,
                uptime: links[0].connectedAt.map { .nanoseconds(wallNow.nanoseconds - $0.nanoseconds) },
                lastMessageAge: lastMessage == 0 ? nil : .nanoseconds(wallNow.nanoseconds - lastMessage),
                messagesPerSecond: links.reduce(0) { $0 + $1.messagesPerSecond },
                messagesReceived: runtime.messagesReceived.load(ordering: .relaxed),
                malformedFrames: runtime.malformedFrames.load(ordering: .relaxed),
                handlerFailures: runtime.handlerFailures.load(ordering: .relaxed),
                driftRepairs: runtime.driftRepairs.load(ordering: .relaxed),
                reconnects: record.reconnects,
                droppedEvents: record.droppedByDeparted + (shared.live[key]?.dropped ?? 0),
                subscribers: shared.live[key]?.subscribers ?? 0,
                upstreamTopics: runtime.upstream.count,
                upstreamMessages: runtime.upstreamMessages.load(ordering: .relaxed),
                lastError: record.lastError,
                mode: runtime.mode,
                polledEvents: runtime.polledEvents.load(ordering: .relaxed),
                pollFailures: runtime.pollFailures.load(ordering: .relaxed),
                lastPollError: record.lastPollError,
                staleTopics: shared.stale[key] ?? [],
                isNeeded: shared.needed[key] ?? false,
                rotations: runtime.rotations.load(ordering: .relaxed),
                rotationsWithoutOverlap: runtime.rotationsWithoutOverlap.load(ordering: .relaxed),
                connections: links.filter { $0.connectedAt != nil }.count,
                transportDroppedFrames: runtime.transportDrops.load(ordering: .relaxed)
            )
        }
        let status = channels.map(\.status).max() ?? .healthy
        return RouterHealth(status: status, channels: channels, subscribers: shared.subscribers)
    }

    /// A channel's state from its shards': shard 0's, unless another shard that is in use is not
    /// streaming (reconnecting, or connecting), which the channel then is too.
    static func state(of shards: [ChannelShard]) -> ChannelState {
        let states = shards.map { $0.machine.withLock { $0.state } }
        return states.dropFirst().first { $0 != .streaming && $0 != .idle } ?? states[0]
    }
}
