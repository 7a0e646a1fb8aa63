import NIOCore
import NIOPosix

/// A TCP server on 127.0.0.1 that accepts connections and never says anything: a connect that
/// never answers, for timeout tests.
public final class SilentServer: Sendable {
    private let channel: any Channel
    /// The port it listens on.
    public let port: Int

    /// Starts listening.
    public init() async throws {
        channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in channel.eventLoop.makeSucceededVoidFuture() }
            .bind(host: "127.0.0.1", port: 0).get()
        port = channel.localAddress?.port ?? 0
    }

    /// Stops listening.
    public func shutdown() async {
        try? await channel.close()
    }
}
