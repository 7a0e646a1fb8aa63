import ArgumentParser
import MarketStreamNATS

/// `--writes`: how the gateway's bus writes frames to NATS.
enum BusWrites: String, CaseIterable, ExpressibleByArgument {
    case immediate
    case combined

    /// The bus's write mode.
    var mode: NATSConnection.WriteMode {
        switch self {
        case .immediate: .immediate
        case .combined: .combined
        }
    }
}
