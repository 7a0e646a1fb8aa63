import MarketStreamCore
import MarketStreamRouting
import UpbitExchange

/// `--health-interval`: one JSON object per health snapshot.
enum HealthLine {
    static func json(_ health: RouterHealth, at time: UnixTime) -> String {
        var w = JSONWriter()
        w.beginObject()
        w.key("time"); w.integer(time.milliseconds)
        w.key("status"); w.string(health.status.rawValue)
        w.key("subscribers"); w.integer(Int64(health.subscribers))
        w.key("channels")
        w.beginArray()
        for channel in health.channels {
            w.beginObject()
            w.key("exchange"); w.string(channel.channel.exchange.rawValue)
            w.key("channel"); w.string(channel.channel.channel.rawValue)
            w.key("status"); w.string(channel.status.rawValue)
            w.key("state"); w.string(channel.state.description)
            w.key("mode"); w.string(channel.mode.rawValue)
            w.key("epoch"); w.integer(Int64(channel.generation.rawValue))
            w.key("messages_per_second"); w.integer(Int64(channel.messagesPerSecond))
            w.key("messages"); w.integer(Int64(channel.messagesReceived))
            w.key("malformed"); w.integer(Int64(channel.malformedFrames))
            w.key("reconnects"); w.integer(Int64(channel.reconnects))
            w.key("dropped"); w.integer(Int64(channel.droppedEvents))
            w.key("handler_failures"); w.integer(Int64(channel.handlerFailures))
            w.key("subscribers"); w.integer(Int64(channel.subscribers))
            w.key("upstream_topics"); w.integer(Int64(channel.upstreamTopics))
            w.key("upstream_messages"); w.integer(Int64(channel.upstreamMessages))
            w.key("drift_repairs"); w.integer(Int64(channel.driftRepairs))
            w.key("polled_events"); w.integer(Int64(channel.polledEvents))
            w.key("stale_topics")
            w.beginArray()
            for stale in channel.staleTopics { w.string("\(stale.topic.kind) \(stale.topic.market)") }
            w.endArray()
            w.key("last_error"); w.optional(channel.lastError)
            w.endObject()
        }
        w.endArray()
        w.endObject()
        return String(decoding: w.bytes, as: UTF8.self)
    }
}
