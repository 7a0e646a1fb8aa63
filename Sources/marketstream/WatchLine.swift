import MarketStreamCore
import UpbitWire

/// The `watch --json` line format (DESIGN §10): `exchange`, `type`, `code`, `stream`,
/// `timestamp`, `received_at`, `epoch`, then the event's fields — named as in Upbit's DEFAULT
/// format for the Upbit family of venues (Upbit, its regional sites, Bithumb), the normalised
/// snake_case fields for the others (``NormalisedFields``) — with exact decimals printed as JSON
/// numbers with all their digits.
enum WatchLine {
    static func json(_ event: MarketEvent, upbitNames: Bool = true) -> [UInt8] {
        var w = JSONWriter()
        w.beginObject()
        w.key("exchange")
        w.string(event.exchange.rawValue)
        w.key("type")
        w.string(event.kind.description)
        w.key("code")
        if event.market == .account { w.null() } else { w.string(event.market.rawValue) }
        w.key("stream")
        w.string(event.stream.rawValue)
        w.key("timestamp")
        w.integer(event.timestamp.milliseconds)
        w.key("received_at")
        w.integer(event.receivedAt.milliseconds)
        w.key("epoch")
        w.integer(Int64(event.generation.rawValue))
        if upbitNames {
            UpbitEventEncoder.writeFields(of: event, simple: false, withEnvelope: false, into: &w)
        } else {
            NormalisedFields.write(event, into: &w)
        }
        w.endObject()
        return w.bytes
    }
}
