import NIOCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A server could not start listening: the address is taken, not this machine's, or not allowed.
///
/// Its description is one line, such as `cannot listen on 127.0.0.1:18800: address already in use`.
public struct ListenFailure: Error, Sendable, Hashable, CustomStringConvertible {
    /// The address asked for.
    public var host: String
    /// The port asked for.
    public var port: Int
    /// Why, in words.
    public var reason: String

    /// Creates a failure with its reason in words.
    public init(host: String, port: Int, reason: String) {
        self.host = host
        self.port = port
        self.reason = reason
    }

    /// Describes `error`, thrown while binding `host:port`.
    public init(host: String, port: Int, error: any Error) {
        self.host = host
        self.port = port
        if let error = error as? IOError {
            switch error.errnoCode {
            case EADDRINUSE: reason = "address already in use"
            case EADDRNOTAVAIL: reason = "address not available on this machine"
            case EACCES: reason = "permission denied"
            default: reason = String(cString: strerror(error.errnoCode)).lowercased()
            }
        } else {
            reason = String(describing: error)
        }
    }

    public var description: String { "cannot listen on \(host):\(port): \(reason)" }
}
