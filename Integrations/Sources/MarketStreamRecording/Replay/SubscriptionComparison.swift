import Foundation

/// Compares subscription messages by what they ask for: JSON with its request identifiers
/// (Upbit's `ticket`, Binance's `id`) and Upbit's `is_only_realtime` left out and its keys sorted;
/// other text as it is. `is_only_realtime` says whether the venue sends a snapshot first, which
/// depends on what the connection already streamed (a router asks for a live stream's snapshot
/// once), not on what the strategy asks for.
enum SubscriptionComparison {
    static func sameRequest(_ left: String, _ right: String) -> Bool {
        left == right || normalized(left).map { $0 == normalized(right) } ?? false
    }

    private static func normalized(_ text: String) -> Data? {
        guard let value = try? JSONSerialization.jsonObject(with: Data(text.utf8)) else { return nil }
        return try? JSONSerialization.data(withJSONObject: strip(value), options: [.sortedKeys])
    }

    private static let ignoredKeys: Set<String> = ["ticket", "id", "is_only_realtime"]

    private static func strip(_ value: Any) -> Any {
        if let object = value as? [String: Any] {
            return object.filter { !Self.ignoredKeys.contains($0.key) }.mapValues(strip)
        }
        if let array = value as? [Any] { return array.map(strip) }
        return value
    }
}
