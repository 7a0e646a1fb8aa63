import MarketStreamCore
import Synchronization

/// The frames a bus connection holds while nats.c has more of their subscription's messages
/// queued right behind them, handed to the router together: the router then wakes each
/// subscriber once per burst rather than once per frame (a wake costs a futex call and a thread
/// hand-off, more than routing a frame).
///
/// A frame waits only for messages nats.c already holds, so nothing waits while the bus keeps
/// up. The next message with nothing queued behind it (handed over or not), ``end()`` (a
/// heartbeat, a change of subscriptions) or ``limit`` frames end a burst. The lock is held while
/// frames are handed over, so they reach the router in the order nats.c delivered them.
final class FrameBurst: Sendable {
    /// Frames held at most, before they are handed over even with more pending.
    static let limit = 64

    private let handler: any ConnectionHandler
    private let held = Mutex<[WebSocketMessage]>([])

    init(handler: any ConnectionHandler) {
        self.handler = handler
    }

    /// Hands a message's frame to the router, or holds it while more are pending.
    /// - Parameters:
    ///   - frame: The message's frame, or `nil` for a message not handed over (which still ends
    ///     the burst when nothing is queued behind it).
    ///   - morePending: Whether more messages of the same subscription are queued behind it
    ///     (``NATSMessage/morePending``).
    func hand(_ frame: WebSocketMessage?, morePending: Bool) {
        held.withLock { held in
            if let frame {
                if held.isEmpty && !morePending {
                    handler.receive(frame)
                    return
                }
                held.append(frame)
            }
            guard !held.isEmpty, !morePending || held.count >= Self.limit else { return }
            handler.receive(contentsOf: held)
            held.removeAll(keepingCapacity: true)
        }
    }

    /// Hands over the frames held, if any.
    func end() {
        held.withLock { held in
            guard !held.isEmpty else { return }
            handler.receive(contentsOf: held)
            held.removeAll(keepingCapacity: true)
        }
    }

    /// Frames held now.
    var count: Int { held.withLock { $0.count } }
}
