import Foundation
import MarketStreamCore
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Opens and closes TCP connections to a loopback port, one after another without pause, on a
/// thread of its own: for testing that a server stops cleanly while it is accepting connections
/// (SwiftNIO traps when a server is cancelled with an accepted connection still unserved,
/// apple/swift-nio#3481).
///
/// ```swift
/// let storm = LoopbackConnectionStorm(port: endpoint.port)
/// await storm.firstConnection()
/// serving.cancel()
/// try await serving.value
/// storm.stop()
/// ```
public final class LoopbackConnectionStorm: Sendable {
    private let stopped = Atomic<Bool>(false)
    private let done = DispatchSemaphore(value: 0)
    private let opened = Atomic<Int>(0)
    /// Resolved once the first connection was accepted or the storm stopped.
    private let firstAccepted = ReadySignal<Void>()

    /// Starts connecting to `port` on 127.0.0.1.
    public init(port: Int) {
        let thread = Thread { [self] in
            defer {
                firstAccepted.resolve(())
                done.signal()
            }
            while !stopped.load(ordering: .relaxed) {
                guard Self.connects(to: port) else { continue }
                if opened.add(1, ordering: .relaxed).newValue == 1 { firstAccepted.resolve(()) }
            }
        }
        thread.start()
    }

    /// The connections the server accepted so far.
    public var connectionsOpened: Int { opened.load(ordering: .relaxed) }

    /// Returns once the server has accepted the storm's first connection, the storm stopped, or
    /// the calling task is cancelled.
    public func firstConnection() async {
        _ = try? await firstAccepted.wait()
    }

    /// Stops connecting; returns once the thread has ended.
    public func stop() {
        stopped.store(true, ordering: .relaxed)
        done.wait()
    }

    /// Whether something accepts a connection on 127.0.0.1's `port` now (the connection is
    /// closed at once).
    public static func connects(to port: Int) -> Bool {
        #if canImport(Glibc)
            let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
            let socket = Darwin.socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard socket >= 0 else { return false }
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        return withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }
}
