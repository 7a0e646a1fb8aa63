import HashTreeCollections
import Logging
import MarketStreamCore
import Synchronization

extension ChannelRuntime {
    /// Hands one event to every subscriber of its topic and to the handler processors that consume
    /// it, from the channel's current route table: no lock but each subscriber buffer's own, and
    /// never a wait on a subscriber.
    /// - Parameters:
    ///   - event: A decoded (or polled) event of this channel.
    ///   - table: The route table, loaded once per frame by the caller.
    ///   - logger: Where skipped handler inputs are logged.
    ///   - wakes: Where subscribers found parked are noted, to be woken once the caller's burst
    ///     of events is routed.
    func route(_ event: MarketEvent, with table: RouteTable, logger: Logger, wakes: inout DeferredWakes) {
        let topic = event.topic
        if event.kind.isOrderbook, event.kind.orderbookDepth == nil {
            routeBook(event, with: table, logger: logger, wakes: &wakes)
            return
        }
        let route = table.routes[topic]
        route?.activity?.record(at: event.receivedAt.nanoseconds)
        // Private events also reach subscribers of the whole account.
        let accountWide =
            topic.kind.isPrivate && topic.market != .account
            ? table.routes[SubscriptionTopic(exchange: topic.exchange, kind: topic.kind, market: .account)]
            : nil
        guard route != nil || accountWide != nil else { return }
        let item = FeedEvent.market(event)
        route?.deliver(item, wakes: &wakes)
        accountWide?.deliver(item, wakes: &wakes)
        if let feeds = route?.feeds, !feeds.isEmpty {
            feed(event, to: feeds, with: table, logger: logger, wakes: &wakes)
        }
    }

    /// A book whose frame does not say its depth (Upbit echoes the code without the `.n` suffix)
    /// goes to the subscribers of every depth of that market and level (one lookup), cut per depth.
    private func routeBook(_ event: MarketEvent, with table: RouteTable, logger: Logger, wakes: inout DeferredWakes) {
        guard case .orderbook(let book) = event.payload else { return }
        let level: ExactDecimal? = book.level.isZero ? nil : book.level
        guard let routes = table.books[RouteTable.BookKey(market: event.market, level: level)] else { return }
        routes.activity?.record(at: event.receivedAt.nanoseconds)
        // A depth is listed only while it has subscribers or processors (`RouteTable.updating`).
        for depth in routes.depths {
            let routed: MarketEvent
            if let count = depth.depth?.rawValue, count < book.units.count {
                var cut = book
                cut.units = Array(book.units.prefix(count))
                routed = event.deriving(kind: depth.kind, payload: .orderbook(cut))
            } else {
                routed = depth.kind == event.kind ? event : event.deriving(kind: depth.kind, payload: event.payload)
            }
            depth.route.deliver(FeedEvent.market(routed), wakes: &wakes)
            if !depth.route.feeds.isEmpty {
                feed(routed, to: depth.route.feeds, with: table, logger: logger, wakes: &wakes)
            }
        }
    }

    private func feed(
        _ event: MarketEvent, to feeds: [DerivedStream], with table: RouteTable, logger: Logger,
        wakes: inout DeferredWakes
    ) {
        for stream in feeds {
            let outputs: [MarketEvent]
            do {
                outputs = try stream.process(event)
            } catch {
                handlerFailures.add(1, ordering: .relaxed)
                logger.debug(
                    "handler skipped an event", metadata: ["kind": "\(stream.output.kind)", "error": "\(error)"])
                continue
            }
            guard !outputs.isEmpty, let targets = table.routes[stream.output], targets.hasSubscribers else {
                continue
            }
            for output in outputs { targets.deliver(FeedEvent.market(output), wakes: &wakes) }
        }
    }
}
