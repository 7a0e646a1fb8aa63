import CoreMetrics

/// The mock exchange's swift-metrics figures: open sockets, events published, frames written,
/// REST calls and refusals.
struct MockMetrics: Sendable {
    let connections: Gauge
    let eventsPublished: Counter
    let framesWritten: Counter
    private let factory: any MetricsFactory

    init(factory: any MetricsFactory) {
        self.factory = factory
        connections = Gauge(label: "mock_exchange.connections", dimensions: [], factory: factory)
        eventsPublished = Counter(label: "mock_exchange.events.published", dimensions: [], factory: factory)
        framesWritten = Counter(label: "mock_exchange.frames.written", dimensions: [], factory: factory)
    }

    /// Counts one REST call of `group` answered with `status`.
    func restCall(group: String, status: Int) {
        Counter(
            label: "mock_exchange.rest.requests", dimensions: [("group", group), ("status", String(status))],
            factory: factory
        ).increment()
    }
}
