import CZstd

/// Compresses blocks into independent zstd frames, reusing one context (not thread-safe: one
/// writer uses it at a time).
final class ZstdCompressor {
    private let context: OpaquePointer
    private let level: Int32

    init(level: Int32) {
        context = ZSTD_createCCtx()
        self.level = level
    }

    /// One zstd frame holding `input`, with its content size and a checksum.
    func frame(of input: [UInt8]) throws(RecordingError) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: ZSTD_compressBound(input.count))
        _ = ZSTD_CCtx_setParameter(context, ZSTD_c_compressionLevel, level)
        _ = ZSTD_CCtx_setParameter(context, ZSTD_c_checksumFlag, 1)
        let written = output.withUnsafeMutableBytes { out in
            input.withUnsafeBytes { raw in
                ZSTD_compress2(context, out.baseAddress, out.count, raw.baseAddress, raw.count)
            }
        }
        if ZSTD_isError(written) != 0 {
            throw .compressionFailed(reason: String(cString: ZSTD_getErrorName(written)))
        }
        output.removeSubrange(written...)
        return output
    }

    deinit { ZSTD_freeCCtx(context) }
}

/// Decompresses one zstd frame of a known content size.
enum ZstdDecompressor {
    static func decompress(_ frame: [UInt8], rawSize: Int, offset: Int) throws(RecordingError) -> [UInt8] {
        // The marker's size is checked against the frame's own before anything is allocated: a
        // damaged marker must not ask for gigabytes.
        let content = frame.withUnsafeBytes { raw in ZSTD_getFrameContentSize(raw.baseAddress, raw.count) }
        guard content == UInt64(rawSize) else {
            // `ZSTD_CONTENTSIZE_UNKNOWN` and `ZSTD_CONTENTSIZE_ERROR`: the two largest values.
            let reason =
                content >= UInt64.max - 1
                ? "no zstd frame with its content size here"
                : "a zstd frame of \(content) bytes where the marker says \(rawSize)"
            throw .corruptBlock(offset: offset, reason: reason)
        }
        // Not zeroed first: zstd writes every byte of a frame whose content size it checks (below).
        var result = 0
        let output = [UInt8](unsafeUninitializedCapacity: rawSize) { out, initialized in
            result = frame.withUnsafeBytes { raw in
                ZSTD_decompress(out.baseAddress, out.count, raw.baseAddress, raw.count)
            }
            // Only what zstd wrote counts as initialized.
            initialized = ZSTD_isError(result) == 0 ? min(result, rawSize) : 0
        }
        if ZSTD_isError(result) != 0 {
            throw .corruptBlock(offset: offset, reason: String(cString: ZSTD_getErrorName(result)))
        }
        guard result == rawSize else {
            throw .corruptBlock(offset: offset, reason: "\(result) bytes where the marker says \(rawSize)")
        }
        return output
    }
}
