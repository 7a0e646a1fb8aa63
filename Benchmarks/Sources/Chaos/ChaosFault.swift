import MockExchange

/// One fault the chaos run injects into the mock exchange.
enum ChaosFault: String, CaseIterable, Sendable {
    /// Every connection dropped without a close frame.
    case drop
    /// Every open connection frozen: no more data, pings still answered (new connections are served).
    case freeze
    /// The exchange stops sending data on every connection, new ones too, for a while.
    case stall
    /// A fraction of the data frames malformed for a while, and one broken frame on every connection.
    case malformed
    /// Every connection dropped, and upgrades refused for a while.
    case refuse
    /// An Upbit error frame on every connection, which then closes.
    case errorFrame
    /// One update missing from every market's Binance depth stream: whole books must resynchronise
    /// from a new snapshot, on the same connection.
    case sequenceGap

    /// The faults the mock exchange can inflict on `venue`'s dialect (it freezes and sends error
    /// frames on Upbit's connections only; Binance's books alone are numbered).
    static func cases(for venue: ChaosVenue) -> [ChaosFault] {
        switch venue {
        case .upbit: [.drop, .freeze, .stall, .malformed, .refuse, .errorFrame]
        case .binance: [.drop, .stall, .malformed, .refuse, .sequenceGap]
        }
    }

    /// How long the fault lasts before the exchange behaves again.
    var duration: Duration {
        switch self {
        case .drop, .freeze, .errorFrame, .sequenceGap: .zero
        case .stall: .seconds(3)
        case .malformed: .seconds(3)
        case .refuse: .milliseconds(1_500)
        }
    }

    /// Whether the client must end up on a new connection on `venue`: not for malformed frames,
    /// which it counts and skips, nor a sequence gap, which it repairs from a snapshot; nor for a
    /// stall on Binance, whose acknowledgements of the churn's requests keep arriving (a connection
    /// that answers is kept; data resumes on it).
    func replacesConnection(on venue: ChaosVenue) -> Bool {
        switch self {
        case .malformed, .sequenceGap: false
        case .stall: venue == .upbit
        case .drop, .freeze, .refuse, .errorFrame: true
        }
    }

    /// Whether the exchange serves nobody while the fault lasts (so no client could deliver data).
    var isOutage: Bool { self == .stall || self == .refuse }

    /// Starts the fault.
    func begin(on server: MockExchangeServer) {
        switch self {
        case .drop: server.dropConnections()
        case .freeze: server.freezeConnections()
        case .stall: server.setFaults(MockFaults(stalled: true))
        case .malformed:
            server.setFaults(MockFaults(malformedFraction: 0.05))
            server.sendMalformedFrames()
        case .refuse:
            server.setFaults(MockFaults(refuseConnections: true))
            server.dropConnections()
        case .errorFrame: server.sendErrorFrames()
        case .sequenceGap: server.injectBinanceSequenceGap()
        }
    }

    /// Ends it: the exchange behaves again.
    func end(on server: MockExchangeServer) {
        server.setFaults(MockFaults())
    }
}

/// The venue dialect the chaos run's mock exchange speaks and its client module.
enum ChaosVenue: String, Sendable {
    case upbit, binance
}
