import MarketStreamCore
import Synchronization

/// One running processor of a data-type handler for one (exchange, market), fed by the router's
/// read path.
final class DerivedStream: Sendable {
    /// Where its output goes (the produced kind for this market).
    let output: SubscriptionTopic
    /// What it consumes.
    let inputs: [SubscriptionTopic]
    private let processor: Mutex<any DataTypeProcessor>

    init(output: SubscriptionTopic, inputs: [SubscriptionTopic], processor: consuming sending any DataTypeProcessor) {
        self.output = output
        self.inputs = inputs
        self.processor = Mutex(processor)
    }

    /// The derived events for one input event.
    /// - Throws: What the processor throws; the caller counts and skips it.
    func process(_ event: MarketEvent) throws -> [MarketEvent] {
        let payloads = try processor.withLock { processor in try processor.process(event) }
        return payloads.map { event.deriving(kind: output.kind, payload: $0) }
    }
}
