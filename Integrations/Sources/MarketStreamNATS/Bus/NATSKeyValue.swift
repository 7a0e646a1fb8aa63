import CNATS
import NIOPosix

/// A JetStream key-value bucket (the server must run with JetStream, `nats-server -js`).
///
/// Its calls wait for the server, so each runs on the connection's thread pool.
public final class NATSKeyValue: Sendable {
    private let context: Handle
    private let store: Handle
    private let threadPool: NIOThreadPool

    init(context: OpaquePointer, store: OpaquePointer, threadPool: NIOThreadPool) {
        self.context = Handle(pointer: context)
        self.store = Handle(pointer: store)
        self.threadPool = threadPool
    }

    /// Puts `value` under `key` only if the key has no value (or it expired or was deleted).
    /// - Returns: The new revision, or `nil` when the key holds a value.
    public func create(_ key: String, value: [UInt8]) async throws -> UInt64? {
        let store = self.store
        return try await threadPool.runIfActive { () throws -> UInt64? in
            var revision: UInt64 = 0
            let status = value.withUnsafeBytes { raw in
                kvStore_Create(&revision, store.pointer, key, raw.baseAddress, Int32(raw.count))
            }
            if status == NATS_OK { return revision }
            if status == NATS_ERR { return nil }  // "wrong last sequence": the key exists
            throw NATSError(status: status, "creating \(key)")
        }
    }

    /// Puts `value` under `key` only if its latest revision is `last` (compare and swap).
    /// - Returns: The new revision, or `nil` when another revision came first.
    public func update(_ key: String, value: [UInt8], last: UInt64) async throws -> UInt64? {
        let store = self.store
        return try await threadPool.runIfActive { () throws -> UInt64? in
            var revision: UInt64 = 0
            let status = value.withUnsafeBytes { raw in
                kvStore_Update(&revision, store.pointer, key, raw.baseAddress, Int32(raw.count), last)
            }
            if status == NATS_OK { return revision }
            if status == NATS_ERR { return nil }
            throw NATSError(status: status, "updating \(key)")
        }
    }

    /// Deletes `key` (a delete marker: a later ``create(_:value:)`` succeeds).
    public func delete(_ key: String) async throws {
        let store = self.store
        try await threadPool.runIfActive {
            try check(kvStore_Delete(store.pointer, key), "deleting \(key)")
        }
    }

    deinit {
        kvStore_Destroy(store.pointer)
        jsCtx_Destroy(context.pointer)
    }
}

extension NATSConnection {
    /// Opens (creating if needed) the key-value bucket `bucket`, whose values expire `ttl` after
    /// they were last written.
    /// - Throws: ``NATSError`` when the server has no JetStream.
    public func keyValue(bucket: String, ttl: Duration) async throws -> NATSKeyValue {
        let connection = handle
        let pool = threadPool
        let (context, store) = try await pool.runIfActive { () throws -> (Handle, Handle) in
            var js: OpaquePointer?
            try check(natsConnection_JetStream(&js, connection.pointer, nil), "opening JetStream")
            guard let js else { throw NATSError(.failed, "opening JetStream") }
            var config = kvConfig()
            _ = kvConfig_Init(&config)
            var store: OpaquePointer?
            let status = bucket.withCString { name in
                config.Bucket = name
                config.History = 1
                // nats.c 3.4 takes the bucket's TTL in nanoseconds (its MaxAge).
                config.TTL = ttl.milliseconds * 1_000_000
                return js_CreateKeyValue(&store, js, &config)
            }
            guard status == NATS_OK, let store else {
                jsCtx_Destroy(js)
                throw NATSError(status: status, "opening the key-value bucket \(bucket) (is JetStream on?)")
            }
            return (Handle(pointer: js), Handle(pointer: store))
        }
        return NATSKeyValue(context: context.pointer, store: store.pointer, threadPool: pool)
    }
}
