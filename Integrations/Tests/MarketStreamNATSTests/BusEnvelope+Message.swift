import MarketStreamNATS

extension BusEnvelope {
    /// A data message as the gateway publishes it: this envelope, then `frame`.
    func message(carrying frame: [UInt8]) -> [UInt8] {
        var message = [UInt8](repeating: 0, count: Self.size) + frame
        message.withUnsafeMutableBytes { write(to: $0) }
        return message
    }
}
