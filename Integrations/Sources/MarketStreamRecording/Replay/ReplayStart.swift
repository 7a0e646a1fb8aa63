/// When a ``ReplayExchange`` starts moving the router's clock through the recording.
///
/// Nothing is replayed before the router has opened its first connection: a venue sends nothing
/// before it is asked. The router asks for what is subscribed when its debounce runs out on the
/// replay's clock, so whatever is subscribed by the time the clock first moves is asked for
/// together, as the recording's router asked for it live.
public enum ReplayStart: Sendable, Hashable {
    /// 50 ms (real time) after the router opens its first connection: subscriptions a strategy
    /// makes one call after another at its start are asked for together, as long as nothing holds
    /// its thread up longer. Subscribing before the router runs is always in time.
    case whenTheRouterConnects
    /// When ``ReplayExchange/start()`` is called (and the router has opened a connection): for a
    /// strategy that subscribes in its own time, with awaits between its calls. The events are the
    /// same on every run however long it takes.
    case whenStarted
}
