import Foundation

/// Compares subscription messages by what they ask for: JSON with its request identifiers
/// (Upbit's `ticket`, Binance's `id`) left out and its keys sorted; other text as it is.
enum SubscriptionComparison {
    static func sameRequest(_ left: String, _ right: String) -> Bool {
        left == right || normalized(left).map { $0 == normalized(right) } ?? false
    }

    private static func normalized(_ text: String) -> Data? {
        guard let value = try? JSONSerialization.jsonObject(with: Data(text.utf8)) else { return nil }
        return try? JSONSerialization.data(withJSONObject: strip(value), options: [.sortedKeys])
    }

    private static func strip(_ value: Any) -> Any {
        if let object = value as? [String: Any] {
            return object.filter { $0.key != "ticket" && $0.key != "id" }.mapValues(strip)
        }
        if let array = value as? [Any] { return array.map(strip) }
        return value
    }
}
