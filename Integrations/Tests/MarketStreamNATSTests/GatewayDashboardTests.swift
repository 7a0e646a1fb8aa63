import Foundation
import MarketStreamCore
import MarketStreamNATS
import MarketStreamRouting
import Prometheus
import Testing

/// The dashboard in a real headless browser (Debian's chromium), and its Prometheus endpoint.
@Suite(.timeLimit(.minutes(2))) struct GatewayDashboardTests {
    /// Runs `body` with a gateway named `dash` (epoch 3) on the harness's bus, whose router records
    /// its metrics in the registry given with it; closes its bus connection afterwards.
    static func withGateway(
        _ h: GatewayHarness, _ body: (MarketDataGateway, PrometheusCollectorRegistry) async throws -> Void
    ) async throws {
        let registry = PrometheusCollectorRegistry()
        let bus = try await NATSConnection.connect(.init(url: h.nats.url, name: "gw", reconnects: true))
        let gateway = try MarketDataGateway(
            manager: h.venue(), bus: bus, configuration: GatewayConfiguration(id: "dash", epoch: 3),
            logger: quietLogger, metricsFactory: GatewayDashboard.makeMetricsFactory(registry: registry))
        try await body(gateway, registry)
        await bus.close()
    }

    @Test func thePageLoadsShowsTheChannelsAndProcessesAndUpdatesItself() async throws {
        try await GatewayHarness.run { h in
            try await Self.withGateway(h) { gateway, registry in
                let dashboard = GatewayDashboard(
                    gateway: gateway, id: "dash", registry: registry, port: 0, logger: quietLogger)
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { try await gateway.run() }
                    group.addTask { try await dashboard.run() }
                    defer { group.cancelAll() }
                    await gateway.waitUntilServing()
                    let port = try await dashboard.listeningPort()
                    // Renewed every 0.5 s, each renewal carrying what the process received.
                    let (router, _) = try h.remoteRouter(client: "viewer", leaseTTL: .milliseconds(1_500))
                    group.addTask { try await router.run() }
                    var events = try router.subscribe(to: .ticker, markets: [btc]).makeAsyncIterator()
                    _ = try await events.nextMarketEvent()

                    // Prometheus text, with the router's figures.
                    let metrics = try await httpGet("http://127.0.0.1:\(port)/metrics")
                    let text = String(decoding: metrics, as: UTF8.self)
                    #expect(
                        text.contains("marketstream_messages_received{exchange=\"mock\",channel=\"public\"}"),
                        "\(text.prefix(400))")

                    let browser = try HeadlessBrowser(opening: "http://127.0.0.1:\(port)/")
                    try await browser.withPage { page in
                        var first: Int?
                        var latest = 0
                        for _ in 0..<60 {
                            let state = try await page.evaluate(
                                "(document.getElementById('state') || {}).textContent || ''")
                            if let range = state.range(of: "update "), let number = Int(state[range.upperBound...]) {
                                if first == nil { first = number }
                                latest = number
                                if latest >= (first ?? 0) + 2 { break }
                            }
                            try await Task.sleep(for: .milliseconds(250))
                        }
                        #expect(first != nil, "the page drew a snapshot")
                        #expect(latest >= (first ?? .max) + 2, "the page updated itself (\(first ?? -1) → \(latest))")
                        let channel = try await page.evaluate(
                            "document.querySelector('tr[data-channel=\"mock/public\"]').cells[1].textContent")
                        #expect(channel == "streaming")
                        let upstream = try await page.evaluate(
                            "document.querySelector('tr[data-channel=\"mock/public\"]').cells[7].textContent")
                        #expect(upstream.contains("ticker/KRW-BTC"), "\(upstream)")
                        let process = try await page.evaluate(
                            "document.querySelector('tr[data-process=\"viewer-public\"] td.topics').textContent")
                        #expect(process == "ticker/KRW-BTC")
                        // The process's deliveries, as it reported them with a renewal.
                        var delivered = 0
                        for _ in 0..<40 where delivered == 0 {
                            let text = try await page.evaluate(
                                "document.querySelector('tr[data-process=\"viewer-public\"] td.delivered').textContent")
                            delivered = Int(text) ?? 0
                            if delivered == 0 { try await Task.sleep(for: .milliseconds(250)) }
                        }
                        #expect(delivered > 0, "the page shows the process's deliveries")
                        let title = try await page.evaluate("document.getElementById('gateway').textContent")
                        #expect(title == "dash (epoch 3)")
                    }
                }
            }
        }
    }

    @Test func aPortInUseIsThrownToWhoeverWaitsForTheDashboard() async throws {
        try await GatewayHarness.run { h in
            try await Self.withGateway(h) { gateway, registry in
                let first = GatewayDashboard(
                    gateway: gateway, id: "dash", registry: registry, port: 0, logger: quietLogger)
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { try await first.run() }
                    defer { group.cancelAll() }
                    let port = try await first.listeningPort()
                    // A second dashboard on the same port cannot listen: its waiter is told why,
                    // instead of waiting for a port that never comes.
                    let second = GatewayDashboard(
                        gateway: gateway, id: "dash", registry: registry, port: port, logger: quietLogger)
                    let running = Task { try await second.run() }
                    await #expect(throws: (any Error).self) { try await second.listeningPort() }
                    await #expect(throws: (any Error).self) { try await running.value }
                    // A waiter that gives up (its task cancelled) stops waiting too.
                    let third = GatewayDashboard(
                        gateway: gateway, id: "dash", registry: registry, port: 0, logger: quietLogger)
                    let waiting = Task { try await third.listeningPort() }
                    waiting.cancel()
                    await #expect(throws: CancellationError.self) { try await waiting.value }
                }
            }
        }
    }
}
