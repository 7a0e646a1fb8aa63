import NIOHTTP1
import NIOSSL

/// How one WebSocket connection is made.
public struct WebSocketTransportConfiguration: Sendable {
    /// Headers for the upgrade request besides `Host` and the WebSocket handshake headers
    /// (`Authorization`, say). The request carries exactly these: never an `Origin` unless one is
    /// named here (Upbit limits requests with `Origin` to one per 10 s).
    public var headers: HTTPHeaders
    /// The largest message accepted, after reassembling fragments; a larger one closes the
    /// connection with 1009 and ``WebSocketTransportError/Code/messageTooLarge``.
    public var maxMessageSize: Int
    /// How long connecting, the TLS handshake and the upgrade may take together.
    public var connectTimeout: Duration
    /// TLS settings for `wss://` (verification on; see ``WebSocketTLS``).
    public var tls: WebSocketTLS

    /// Creates a configuration.
    /// - Parameters:
    ///   - headers: Extra upgrade headers.
    ///   - maxMessageSize: The message size limit (default 4 MiB).
    ///   - connectTimeout: The limit for connect, handshake and upgrade (default 10 s).
    ///   - tls: TLS settings for `wss://`.
    public init(
        headers: HTTPHeaders = [:], maxMessageSize: Int = 4 << 20, connectTimeout: Duration = .seconds(10),
        tls: WebSocketTLS = WebSocketTLS()
    ) {
        self.headers = headers
        self.maxMessageSize = maxMessageSize
        self.connectTimeout = connectTimeout
        self.tls = tls
    }
}

/// TLS for `wss://`: the system's trust roots plus, optionally, an extra CA; certificate
/// verification always on. A host name is sent as SNI and checked against the certificate's DNS
/// names; an IP literal is sent no SNI and checked against its IP addresses.
public struct WebSocketTLS: Sendable {
    /// The NIOSSL configuration the connection uses.
    public var configuration: TLSConfiguration

    /// Creates TLS settings with full verification.
    /// - Parameter extraCAFile: A PEM file with a CA to trust besides the system's.
    public init(extraCAFile: String? = nil) {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.certificateVerification = .fullVerification
        if let extraCAFile { configuration.additionalTrustRoots = [.file(extraCAFile)] }
        self.configuration = configuration
    }

    /// Uses a NIOSSL configuration as it is.
    public init(configuration: TLSConfiguration) {
        self.configuration = configuration
    }
}
