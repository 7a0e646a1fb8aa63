import MarketStreamCore
import Synchronization

extension MarketDataRouter {
    /// A snapshot of the router's health: overall status and per-channel details.
    public func health() -> RouterHealth {
        let wallNow = wallClock()
        let (channels, subscribers) = state.withLock { state -> ([ChannelHealth], Int) in
            var live: [ChannelKey: (subscribers: Int, dropped: Int)] = [:]
            for record in state.subscribers.values where !record.isSnapshotWaiter {
                live[record.channel, default: (0, 0)].subscribers += 1
                live[record.channel, default: (0, 0)].dropped += record.buffer.droppedCount
            }
            let stale = state.staleTopics(now: wallNow.nanoseconds, policy: configuration.freshness)
            let channels = runtimes.values.sorted { $0.key.description < $1.key.description }.map { runtime in
                let key = runtime.key
                let record = state.channels[key] ?? ChannelRecord()
                let staysWarm = runtime.descriptor.staysWarm && configuration.keepsChannelsWarm
                let lastMessage = runtime.lastMessageAt.load(ordering: .relaxed)
                return ChannelHealth(
                    channel: key, state: record.state, generation: runtime.generation,
                    uptime: record.connectedAt.map { .nanoseconds(wallNow.nanoseconds - $0.nanoseconds) },
                    lastMessageAge: lastMessage == 0 ? nil : .nanoseconds(wallNow.nanoseconds - lastMessage),
                    messagesPerSecond: record.messagesPerSecond,
                    messagesReceived: runtime.messagesReceived.load(ordering: .relaxed),
                    malformedFrames: runtime.malformedFrames.load(ordering: .relaxed),
                    handlerFailures: runtime.handlerFailures.load(ordering: .relaxed),
                    driftRepairs: runtime.driftRepairs.load(ordering: .relaxed),
                    reconnects: record.reconnects,
                    droppedEvents: record.droppedByDeparted + (live[key]?.dropped ?? 0),
                    subscribers: live[key]?.subscribers ?? 0,
                    upstreamTopics: record.upstream.count,
                    upstreamMessages: runtime.upstreamMessages.load(ordering: .relaxed),
                    lastError: record.lastError,
                    mode: record.mode,
                    polledEvents: runtime.polledEvents.load(ordering: .relaxed),
                    pollFailures: runtime.pollFailures.load(ordering: .relaxed),
                    lastPollError: record.lastPollError,
                    staleTopics: stale[key] ?? [],
                    isNeeded: state.needsConnection(key, staysWarm: staysWarm)
                )
            }
            return (channels, state.subscribers.values.filter { !$0.isSnapshotWaiter }.count)
        }
        let status = channels.map(\.status).max() ?? .healthy
        return RouterHealth(status: status, channels: channels, subscribers: subscribers)
    }
}
