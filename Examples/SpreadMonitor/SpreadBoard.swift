import MarketStreamCore
import Synchronization

/// The latest spread per market, rendered as a table.
final class SpreadBoard: Sendable {
    private struct Row {
        var fields: CustomPayload?
        var updates = 0
    }

    private let markets: [MarketCode]
    private let rows: Mutex<[MarketCode: Row]>

    init(markets: [MarketCode]) {
        self.markets = markets
        rows = Mutex(Dictionary(uniqueKeysWithValues: markets.map { ($0, Row()) }))
    }

    func update(_ market: MarketCode, _ fields: CustomPayload) {
        rows.withLock { rows in
            rows[market, default: Row()].fields = fields
            rows[market, default: Row()].updates += 1
        }
    }

    /// One line per market: `market  bid  ask  spread  mid  bps  updates`.
    func render(title: String) -> String {
        let snapshot = rows.withLock { $0 }
        func cell(_ text: String, _ width: Int) -> String {
            String(repeating: " ", count: max(0, width - text.count)) + text
        }
        var lines = [
            title,
            "market".padding(12) + cell("bid", 16) + cell("ask", 16) + cell("spread", 12)
                + cell("mid", 18) + cell("bps", 10) + cell("updates", 9),
        ]
        for market in markets {
            let row = snapshot[market] ?? Row()
            func value(_ name: String) -> String { row.fields?[name]?.description ?? "-" }
            lines.append(
                market.rawValue.padding(12) + cell(value("bid"), 16) + cell(value("ask"), 16)
                    + cell(value("spread"), 12) + cell(value("mid"), 18) + cell(value("spread_bps"), 10)
                    + cell(String(row.updates), 9))
        }
        return lines.joined(separator: "\n") + "\n\n"
    }
}

extension String {
    fileprivate func padding(_ width: Int) -> String {
        self + String(repeating: " ", count: max(0, width - count))
    }
}
