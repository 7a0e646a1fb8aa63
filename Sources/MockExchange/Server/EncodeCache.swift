import MarketStreamCore
import NIOCore
import UpbitWire

/// Encodes each published event at most once per (format, book depth), however many connections
/// receive it.
struct EncodeCache {
    private struct Key: Hashable {
        var format: UpbitFormat
        var depth: Int?
        var level: ExactDecimal?
        var variant: UpbitWireVariant
    }

    let event: MarketEvent
    /// The event's type family (`ticker`, `orderbook`, …), computed once.
    let family: String
    private var encoded: [Key: ByteBuffer] = [:]

    init(event: MarketEvent) {
        self.event = event
        family = event.kind.family
    }

    /// The event as a frame in `format` and the venue's spelling, its book cut to `depth` levels
    /// (Bithumb's books have at most 15).
    mutating func frame(
        format: UpbitFormat, depth: Int?, level: ExactDecimal?, variant: UpbitWireVariant = .upbit
    ) -> ByteBuffer {
        let depth = variant == .bithumb ? min(depth ?? 15, 15) : depth
        let key = Key(format: format, depth: depth, level: level, variant: variant)
        if let frame = encoded[key] { return frame }
        var event = self.event
        if case .orderbook(var book) = event.payload, depth != nil || level != nil {
            if let depth, depth < book.units.count { book.units = Array(book.units.prefix(depth)) }
            book.level = level ?? .zero
            event = event.deriving(kind: event.kind, payload: .orderbook(book))
        }
        let frame = ByteBuffer(bytes: UpbitEventEncoder.encode(event, format: format, variant: variant))
        encoded[key] = frame
        return frame
    }
}
