import MarketStreamCore
import MarketStreamRouting

/// `watch` on a terminal: the latest value and change per market and kind, with the connection's
/// state, messages/s, reconnects and drops, redrawn in place.
struct WatchTable {
    private struct Row {
        var value: String
        var price: ExactDecimal?
        var change: String
        var stream: StreamKind
        var updates: Int
    }

    private var rows: [String: Row] = [:]
    private var order: [String] = []

    /// Takes an event.
    mutating func update(_ event: MarketEvent) {
        let key = "\(event.market == .account ? "-" : event.market.rawValue)\t\(event.kind)"
        if rows[key] == nil { order.append(key) }
        let (value, price, change) = Self.summary(event.payload, previous: rows[key]?.price)
        rows[key] = Row(
            value: value, price: price, change: change, stream: event.stream, updates: (rows[key]?.updates ?? 0) + 1)
    }

    /// The whole screen: a header per channel, then one line per market and kind.
    func render(health: RouterHealth) -> String {
        var lines: [String] = []
        for channel in health.channels where channel.isNeeded || channel.subscribers > 0 {
            var line = "\(channel.channel): \(channel.state), \(Int(channel.messagesPerSecond)) msg/s"
            line += ", reconnects \(channel.reconnects), dropped \(channel.droppedEvents)"
            if channel.handlerFailures > 0 { line += ", handler failures \(channel.handlerFailures)" }
            if channel.mode == .restPolling { line += ", REST polling" }
            if let error = channel.lastError { line += ", last error: \(error)" }
            lines.append(line)
        }
        lines.append("")
        lines.append(
            Self.left("market", 14) + Self.left("kind", 16) + Self.right("latest", 34) + Self.right("change", 14)
                + Self.right("stream", 10) + Self.right("updates", 9))
        for key in order {
            guard let row = rows[key] else { continue }
            let parts = key.split(separator: "\t", maxSplits: 1).map(String.init)
            lines.append(
                Self.left(parts[0], 14) + Self.left(parts.count > 1 ? parts[1] : "", 16) + Self.right(row.value, 34)
                    + Self.right(row.change, 14) + Self.right(row.stream.rawValue, 10)
                    + Self.right(String(row.updates), 9))
        }
        // Home, clear the screen, draw.
        return "\u{1B}[H\u{1B}[2J" + lines.joined(separator: "\n") + "\n"
    }

    /// The value shown for a payload, its price, and its change: the exchange's daily change for
    /// tickers, otherwise the difference from the previous price shown.
    private static func summary(_ payload: MarketPayload, previous: ExactDecimal?) -> (String, ExactDecimal?, String) {
        let value: String
        let price: ExactDecimal?
        switch payload {
        case .ticker(let ticker):
            let percent = (ticker.changeRate ?? .zero) * 100
            return (ticker.price.description, ticker.price, "\(percent.isNegative ? "" : "+")\(percent)%")
        case .trade(let trade):
            (value, price) = ("\(trade.price) × \(trade.size)", trade.price)
        case .orderbook(let book):
            let bid = book.units.first?.bidPrice
            (value, price) = ("\(bid?.description ?? "-") / \(book.units.first?.askPrice.description ?? "-")", bid)
        case .candle(let candle): (value, price) = (candle.close.description, candle.close)
        case .myOrder(let order): (value, price) = ("\(order.state) \(order.volume?.description ?? "")", nil)
        case .myAsset(let asset):
            (value, price) = (asset.assets.map { "\($0.currency) \($0.balance)" }.joined(separator: " "), nil)
        case .custom(let custom): (value, price) = (custom.values.first?.description ?? "-", custom.values.first)
        }
        guard let price, let previous else { return (value, price, "") }
        let change = price - previous
        return (value, price, change.isZero ? "0" : "\(change.isNegative ? "" : "+")\(change)")
    }

    private static func left(_ text: String, _ width: Int) -> String {
        text + String(repeating: " ", count: max(1, width - text.count))
    }

    private static func right(_ text: String, _ width: Int) -> String {
        String(repeating: " ", count: max(1, width - text.count)) + text
    }
}
