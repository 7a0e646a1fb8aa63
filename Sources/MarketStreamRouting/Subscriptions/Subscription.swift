import MarketStreamCore

/// A live stream of one data kind for some markets, shared upstream with every other subscriber.
///
/// Iterate it with `for try await`. The subscription ends — and its upstream share is released —
/// when the loop ends and the subscription is dropped, when the iterating task is cancelled,
/// when ``cancel()`` is called, or when the ``MarketDataClient`` it came from is closed or
/// released. Reconnects arrive as ``FeedEvent/connection(_:)`` events, never as silent gaps.
/// A lossless subscription that falls behind throws `MarketStreamError/Code/subscriberTooSlow`.
///
/// A subscription has one consumer: iterate it from one task at a time.
public struct Subscription: AsyncSequence, Sendable {
    public typealias Element = FeedEvent

    let handle: SubscriptionHandle

    /// The subscriber's identifier within its router.
    public var id: SubscriberID { handle.buffer.id }
    /// The data kind.
    public var kind: DataKind { handle.kind }
    /// The channel that carries it.
    public var channel: ChannelKey { handle.buffer.channel }
    /// Events dropped by the delivery policy so far.
    public var droppedCount: Int { handle.buffer.droppedCount }

    /// Ends the subscription now; the iterator returns `nil` and the upstream share is released.
    public func cancel() { handle.buffer.cancel() }

    public func makeAsyncIterator() -> Iterator { Iterator(handle: handle) }

    /// Iterates a subscription.
    ///
    /// The iterator takes what its buffer holds in batches (up to 64 events under one lock), so a
    /// consumer that keeps up pays for the lock once per batch, not once per event.
    public struct Iterator: AsyncIteratorProtocol {
        let handle: SubscriptionHandle
        private var batch: [FeedEvent] = []
        private var position = 0

        init(handle: SubscriptionHandle) { self.handle = handle }

        /// The next event, or `nil` when the subscription has ended.
        /// - Throws: `MarketStreamError` when a lossless subscription fell behind or the router
        ///   shut down.
        public mutating func next() async throws -> FeedEvent? {
            while true {
                while position < batch.count {
                    let event = batch[position]
                    position += 1
                    switch handle.buffer.handOut(event) {
                    case .deliver: return event
                    case .skip: continue
                    case .end:
                        batch.removeAll()
                        position = 0
                        return nil
                    }
                }
                batch.removeAll(keepingCapacity: true)
                position = 0
                guard try await handle.buffer.fill(&batch, limit: 64) else { return nil }
            }
        }
    }
}

/// Owns a subscriber buffer for as long as a ``Subscription`` or its iterator exists; releasing
/// the last one ends the subscription.
final class SubscriptionHandle: Sendable {
    let buffer: SubscriberBuffer
    let kind: DataKind

    init(buffer: SubscriberBuffer, kind: DataKind) {
        self.buffer = buffer
        self.kind = kind
    }

    deinit {
        buffer.cancel()
    }
}
