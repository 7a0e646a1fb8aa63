import Atomics
import Synchronization

/// A value the read path loads for every frame and its owner replaces whole, now and then (a
/// channel's ``RouteTable`` and ``ShardMap``): read with no lock.
///
/// Loading an atomic reference takes compare-and-swaps on a line every reader shares, so a
/// reader keeps the value it loaded (a ``Cache``) and reloads it only when the count of values
/// published has moved, which is a plain load. A frame read after ``publish(_:)`` returned sees
/// the new value.
final class PublishedReference<Value: AtomicReference & Sendable>: Sendable where Value._AtomicBase == Value {
    /// A reader's copy and the count of values published when it was loaded. A replaced value
    /// stays referenced here until the reader's next load.
    struct Cache: Sendable {
        fileprivate var value: Value
        /// `-1`: nothing loaded yet.
        fileprivate var version = -1

        /// A cache that loads on first use; `placeholder` is never returned.
        init(placeholder: Value) { value = placeholder }
    }

    private let current: ManagedAtomic<Value>
    private let published = Atomic<Int>(0)

    init(_ initial: Value) {
        current = ManagedAtomic(initial)
    }

    /// The value now.
    @inline(__always)
    var value: Value { current.load(ordering: .acquiring) }

    /// The value now: `cache`'s, unless a newer one was published since it was loaded.
    @inline(__always)
    func value(reusing cache: inout Cache) -> Value {
        let version = published.load(ordering: .acquiring)
        if version != cache.version {
            cache.value = current.load(ordering: .acquiring)
            cache.version = version
        }
        return cache.value
    }

    /// Publishes a new value; callers serialise (the router builds them under its lock).
    func publish(_ value: Value) {
        current.store(value, ordering: .releasing)
        published.wrappingAdd(1, ordering: .releasing)
    }
}
