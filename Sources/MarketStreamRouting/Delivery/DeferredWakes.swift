/// The subscribers a burst of deliveries found waiting, woken once when the burst is over.
///
/// The read path routes a frame's events (or a batch of frames' events) and only then wakes the
/// subscribers that were parked: one wake per subscriber per burst, not one per event. A wake
/// hands a task to another thread (a futex call), which costs more than routing an event, so a
/// consumer that keeps up no longer sets the pace of the read path. Events are in the buffers
/// as soon as they are delivered; only the wake waits, for at most one burst.
struct DeferredWakes: ~Copyable {
    /// The first subscriber buffer with a parked consumer (most bursts wake one: no allocation).
    private var first: SubscriberBuffer?
    /// The others, each listed once per burst.
    private var buffers: [SubscriberBuffer] = []
    /// Readers of broadcast logs parked until the next append.
    private var logReaders: [UnsafeContinuation<Void, Never>] = []

    init() {}

    /// Notes a buffer whose consumer is parked (the buffer lists itself once per burst).
    mutating func add(_ buffer: SubscriberBuffer) {
        if first == nil { first = buffer } else { buffers.append(buffer) }
    }

    /// Notes broadcast-log readers taken off the log's wait list.
    mutating func add(_ readers: some Sequence<UnsafeContinuation<Void, Never>>) {
        logReaders.append(contentsOf: readers)
    }

    /// Wakes every subscriber noted, ending the burst.
    consuming func wake() {}

    /// A burst ends however its wakes go out of scope: nobody noted is left parked.
    deinit {
        first?.wakeConsumer()
        for buffer in buffers { buffer.wakeConsumer() }
        for reader in logReaders { reader.resume() }
    }
}
