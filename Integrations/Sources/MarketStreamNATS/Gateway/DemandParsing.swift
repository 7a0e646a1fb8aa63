import MarketStreamCore

/// Reads a lease's topics for one venue module, with a typed error for each it cannot serve.
struct DemandParsing: Sendable {
    let manager: any AbstractWebSocketManager
    let subjects: BusSubjects

    /// The topic named `text` (`<kind>/<market>`), if the venue serves it over the bus.
    func topic(_ text: String) -> Result<SubscriptionTopic, MarketStreamError> {
        let exchange = manager.exchange
        guard let slash = text.lastIndex(of: "/") else {
            return .failure(
                MarketStreamError(.invalidArgument, "'\(text)' is not <kind>/<market>", exchange: exchange))
        }
        let kind: DataKind
        do {
            kind = try DataKind(parsing: String(text[..<slash]))
        } catch {
            return .failure(error)
        }
        guard !kind.isCustom else {
            return .failure(
                MarketStreamError(
                    .unknownDataKind, "unknown kind '\(kind)': the gateway serves the venue's own kinds",
                    exchange: exchange))
        }
        guard !kind.isPrivate else {
            return .failure(
                MarketStreamError(
                    .unsupportedDataKind, "\(kind) is an account's own data: it is not served over the bus",
                    exchange: exchange))
        }
        guard let channel = manager.channel(carrying: kind) else {
            return .failure(MarketStreamError(.unsupportedDataKind, "\(exchange) has no \(kind)", exchange: exchange))
        }
        let market: MarketCode
        do {
            market = try MarketCode(String(text[text.index(after: slash)...]))
        } catch {
            return .failure(error)
        }
        let topic = SubscriptionTopic(exchange: exchange, kind: kind, market: market)
        if let refusal = manager.validate(topic, on: channel) { return .failure(refusal) }
        guard subjects.data(for: topic) != nil else {
            return .failure(
                MarketStreamError(.unsupportedDataKind, "\(text) cannot be carried on a subject", exchange: exchange))
        }
        return .success(topic)
    }
}
