import BinanceWire
import Synchronization

/// Stream names parsed once: a connection carries a fixed set of streams, and splitting a
/// symbol at its quote asset on every frame would cost more than the rest of the decode.
final class BinanceStreamCache: Sendable {
    /// Names kept at most; past it the cache starts afresh (a set that large is churning).
    static let capacity = 8_192

    private let parsed = Mutex<[String: BinanceStream]>([:])

    /// The stream `name` names, or `nil` for a name that is not a known stream.
    func stream(named name: String) -> BinanceStream? {
        if let known = parsed.withLock({ $0[name] }) { return known }
        guard let stream = BinanceStream(name: name) else { return nil }
        parsed.withLock { cache in
            if cache.count >= Self.capacity { cache.removeAll(keepingCapacity: true) }
            cache[name] = stream
        }
        return stream
    }
}
