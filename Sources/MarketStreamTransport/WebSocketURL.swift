/// A parsed `ws://` or `wss://` address.
///
/// ```swift
/// let url = try WebSocketURL("wss://api.upbit.com/websocket/v1")
/// url.host        // "api.upbit.com"
/// url.port        // 443
/// url.requestTarget  // "/websocket/v1"
/// ```
public struct WebSocketURL: Sendable, Hashable, CustomStringConvertible {
    /// Whether the connection uses TLS (`wss://`).
    public var isSecure: Bool
    /// The host name or IP literal, without brackets (`::1`, not `[::1]`).
    public var host: String
    /// The TCP port (80 or 443 unless the address names one).
    public var port: Int
    /// The path and query sent in the request line (`/websocket/v1?x=1`); `/` when empty.
    public var requestTarget: String

    /// Parses an address.
    /// - Throws: ``WebSocketTransportError`` with ``WebSocketTransportError/Code/invalidURL`` for
    ///   anything that is not `ws://host[:port][/path]` or `wss://…`.
    public init(_ text: String) throws(WebSocketTransportError) {
        let rest: Substring
        if text.hasPrefix("wss://") {
            isSecure = true
            rest = text.dropFirst(6)
        } else if text.hasPrefix("ws://") {
            isSecure = false
            rest = text.dropFirst(5)
        } else {
            throw WebSocketTransportError(.invalidURL, "'\(text)' is not a ws:// or wss:// URL")
        }
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" } ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        let target = rest[authorityEnd...]
        requestTarget = target.isEmpty ? "/" : (target.hasPrefix("/") ? String(target) : "/" + target)
        guard !authority.contains("@") else {
            throw WebSocketTransportError(.invalidURL, "'\(text)': credentials in the URL are not supported")
        }
        var hostPart: Substring
        var portPart: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else {
                throw WebSocketTransportError(.invalidURL, "'\(text)': unterminated IPv6 literal")
            }
            hostPart = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else {
                    throw WebSocketTransportError(.invalidURL, "'\(text)': unexpected text after the IPv6 literal")
                }
                portPart = after.dropFirst()
            }
        } else if let colon = authority.lastIndex(of: ":") {
            hostPart = authority[..<colon]
            portPart = authority[authority.index(after: colon)...]
        } else {
            hostPart = authority
        }
        guard !hostPart.isEmpty, !hostPart.contains(where: { $0 == " " || $0 == "\t" }) else {
            throw WebSocketTransportError(.invalidURL, "'\(text)' has no host")
        }
        host = String(hostPart)
        if let portPart {
            guard let port = Int(portPart), (1...65_535).contains(port) else {
                throw WebSocketTransportError(.invalidURL, "'\(text)': '\(portPart)' is not a port number")
            }
            self.port = port
        } else {
            port = isSecure ? 443 : 80
        }
    }

    /// Whether ``host`` is an IPv4 or IPv6 literal: such a host is sent no SNI and its certificate
    /// is verified against its IP subject alternative names.
    public var hostIsIPLiteral: Bool { Self.isIPv4(host) || host.contains(":") }

    /// The `Host` header's value: the port is named only when it is not the scheme's default.
    public var hostHeader: String {
        let name = host.contains(":") ? "[\(host)]" : host
        let defaultPort = isSecure ? 443 : 80
        return port == defaultPort ? name : "\(name):\(port)"
    }

    public var description: String { "\(isSecure ? "wss" : "ws")://\(hostHeader)\(requestTarget)" }

    private static func isIPv4(_ text: String) -> Bool {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { part in part.count <= 3 && UInt8(part) != nil }
    }
}
