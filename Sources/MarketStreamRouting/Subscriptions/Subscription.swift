import DequeModule
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
    /// Read a subscription through one iterator at a time, kept for as long as you read it: an
    /// iterator that is let go (a `for try await` loop left with `break`, then another loop)
    /// drops the events it had taken from the buffer and not yet handed out (at most 64).
    ///
    /// The iterator takes what its buffer holds in batches (up to 64 events under one lock), so a
    /// consumer that keeps up pays for the lock once per batch, not once per event. Handing out an
    /// event already taken is inlined into the caller's loop and runs in the caller's isolation:
    /// no executor hop per event (an async call into another module costs one, ~100 ns here).
    public struct Iterator: AsyncIteratorProtocol {
        @usableFromInline let handle: SubscriptionHandle
        /// Events taken from the buffer and not yet handed out; popped (moved), never copied.
        @usableFromInline var batch = Deque<FeedEvent>()
        /// The minimum generation `batch` was taken under.
        @usableFromInline var filteredAt: UInt64 = 0

        init(handle: SubscriptionHandle) { self.handle = handle }

        /// The next event, or `nil` when the subscription has ended.
        /// - Throws: `MarketStreamError` when a lossless subscription fell behind or the router
        ///   shut down.
        public mutating func next() async throws -> FeedEvent? {
            try await refill()
        }

        /// The next event, or `nil` when the subscription has ended, in the caller's isolation
        /// (what `for try await` calls).
        /// - Throws: `MarketStreamError` when a lossless subscription fell behind or the router
        ///   shut down.
        @inlinable
        public mutating func next(isolation actor: isolated (any Actor)?) async throws -> FeedEvent? {
            switch takeBuffered() {
            case .event(let event): return event
            case .end: return nil
            case .empty: return try await refill()
            }
        }

        /// What the batch holds for the consumer now.
        @usableFromInline
        enum Buffered {
            case event(FeedEvent)
            /// The consumer went away.
            case end
            /// Nothing deliverable is left in the batch.
            case empty
        }

        /// The batch's next deliverable event, skipping those whose generation went stale.
        @inlinable
        mutating func takeBuffered() -> Buffered {
            while let event = batch.popFirst() {
                switch handle.buffer.handOut(event, filteredAt: filteredAt) {
                case .deliver: return .event(event)
                case .skip: continue
                case .end:
                    batch.removeAll()
                    return .end
                }
            }
            return .empty
        }

        /// Takes the next batch from the buffer (suspending while it is empty) and hands out its
        /// first deliverable event.
        @usableFromInline
        nonisolated(nonsending) mutating func refill() async throws -> FeedEvent? {
            while true {
                switch takeBuffered() {
                case .event(let event): return event
                case .end: return nil
                case .empty: break
                }
                guard let generation = try await handle.buffer.fill(&batch, limit: 64) else { return nil }
                filteredAt = generation
            }
        }
    }
}

/// Owns a subscriber buffer for as long as a ``Subscription`` or its iterator exists; releasing
/// the last one ends the subscription.
@usableFromInline
final class SubscriptionHandle: Sendable {
    @usableFromInline let buffer: SubscriberBuffer
    let kind: DataKind

    init(buffer: SubscriberBuffer, kind: DataKind) {
        self.buffer = buffer
        self.kind = kind
    }

    deinit {
        buffer.cancel()
    }
}
