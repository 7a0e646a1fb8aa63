import Foundation
import MarketStreamCore
import NIOCore

/// Turns what a ``RemoteLink`` handed the router back into the venue's events: strips the
/// envelope, decodes the venue's frame with the venue's own decoder, stamped with the gateway's
/// receive time, and keeps only the events of the subject the frame came on.
struct RemoteDecoder {
    let module: RemoteExchange

    func decode(_ frame: WebSocketMessage, context: DecodeContext, into output: inout DecodedFrame)
        throws(MarketStreamError)
    {
        let exchange = module.exchange
        let bytes = frame.bytes
        guard let type = bytes.getInteger(at: bytes.readerIndex, as: UInt8.self) else {
            throw MarketStreamError(.malformedFrame, "an empty bus frame", exchange: exchange)
        }
        switch type {
        case RemoteFrame.heartbeat:
            output.controls.append(.status("gateway"))
        case RemoteFrame.refusal:
            let body = Data(bytes.readableBytesView.dropFirst())
            guard let reply = try? JSONDecoder().decode(DemandReply.self, from: body) else {
                throw MarketStreamError(.malformedFrame, "an unreadable gateway reply", exchange: exchange)
            }
            if let error = reply.error {
                output.controls.append(
                    .exchangeError(
                        MarketStreamError(
                            .requestRejected, "the gateway refused the lease: \(error.message)", exchange: exchange)))
            }
            for rejection in reply.rejected {
                output.controls.append(
                    .exchangeError(
                        MarketStreamError(
                            .requestRejected, "the gateway refused \(rejection.topic): \(rejection.message)",
                            exchange: exchange)))
            }
        case RemoteFrame.data:
            try decodeData(bytes, context: context, into: &output)
        default:
            throw MarketStreamError(.malformedFrame, "unknown bus frame type \(type)", exchange: exchange)
        }
    }

    private func decodeData(_ bytes: ByteBuffer, context: DecodeContext, into output: inout DecodedFrame)
        throws(MarketStreamError)
    {
        let exchange = module.exchange
        let start = bytes.readerIndex
        guard let subjectLength = bytes.getInteger(at: start + 1, as: UInt8.self).map(Int.init),
            bytes.readableBytes >= 2 + subjectLength + BusEnvelope.size
        else { throw MarketStreamError(.malformedFrame, "a truncated bus frame", exchange: exchange) }
        let envelopeAt = start + 2 + subjectLength
        let envelope: BusEnvelope
        do {
            envelope = try bytes.withUnsafeReadableBytes { raw throws(BusProtocolError) in
                try BusEnvelope(reading: UnsafeRawBufferPointer(rebasing: raw[(envelopeAt - start)...]))
            }
        } catch {
            throw MarketStreamError(.malformedFrame, error.description, exchange: exchange)
        }
        let payloadAt = envelopeAt + BusEnvelope.size
        let payload = bytes.getSlice(at: payloadAt, length: bytes.writerIndex - payloadAt) ?? ByteBuffer()
        var venueContext = context
        venueContext.receivedAt = envelope.receivedAt
        let first = output.events.count
        try module.venue.decode(
            WebSocketMessage(opcode: envelope.flags.contains(.binary) ? .binary : .text, bytes: payload),
            context: venueContext, into: &output)
        // Keep only what the subject carries (a frame of several topics is published on each),
        // compared as bytes: no string is made per frame.
        let replay = envelope.flags.contains(.snapshotReplay)
        bytes.withUnsafeReadableBytes { raw in
            let (kindToken, market) = Self.tokens(of: UnsafeRawBufferPointer(rebasing: raw[2..<(2 + subjectLength)]))
            var index = first
            while index < output.events.count {
                let event = output.events[index]
                guard Self.matches(event, kindToken: kindToken, market: market) else {
                    output.events.remove(at: index)
                    continue
                }
                if replay && event.stream != .snapshot {
                    output.events[index] = MarketEvent(
                        exchange: event.exchange, kind: event.kind, market: event.market, stream: .snapshot,
                        timestamp: event.timestamp, receivedAt: event.receivedAt, generation: event.generation,
                        payload: event.payload)
                }
                index += 1
            }
        }
    }

    /// The kind token and market of `ms.v1.<venue>.<kind>.<market>` (empty when it is not one).
    private static func tokens(of subject: UnsafeRawBufferPointer)
        -> (Slice<UnsafeRawBufferPointer>, Slice<UnsafeRawBufferPointer>)
    {
        var dots = 0
        var kindStart = 0
        for (offset, byte) in subject.enumerated() where byte == UInt8(ascii: ".") {
            dots += 1
            if dots == 3 { kindStart = offset + 1 }
            if dots == 4 { return (subject[kindStart..<offset], subject[(offset + 1)...]) }
        }
        return (subject[0..<0], subject[0..<0])
    }

    private static func matches(
        _ event: MarketEvent, kindToken: Slice<UnsafeRawBufferPointer>, market: Slice<UnsafeRawBufferPointer>
    ) -> Bool {
        var code = event.market.rawValue
        guard code.withUTF8({ equal($0, UnsafeRawBufferPointer(rebasing: market), dotsAsUnderscores: false) }) else {
            return false
        }
        var family = event.kind.family
        return family.withUTF8 { equal($0, UnsafeRawBufferPointer(rebasing: kindToken), dotsAsUnderscores: true) }
    }

    /// Whether `text` is `token`, each byte compared in place (a subject token writes a family's
    /// dots as underscores: `candle_1m`).
    private static func equal(
        _ text: UnsafeBufferPointer<UInt8>, _ token: UnsafeRawBufferPointer, dotsAsUnderscores: Bool
    ) -> Bool {
        guard text.count == token.count else { return false }
        for index in 0..<text.count where text[index] != token[index] {
            guard dotsAsUnderscores, text[index] == UInt8(ascii: "."), token[index] == UInt8(ascii: "_") else {
                return false
            }
        }
        return true
    }
}
