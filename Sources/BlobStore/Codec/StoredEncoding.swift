import CZstd

/// Chooses how a blob's payload is stored in its pack record, and turns a stored payload back
/// into the blob's bytes.
///
/// Already-compressed blobs (gzip and zstd layers) are stored verbatim: their digest covers the
/// compressed bytes, and recompressing them gains nothing. Other blobs are stored as one zstd
/// frame when that saves at least a tenth; below that, decompressing on every read costs more
/// than the space is worth.
///
/// ```swift
/// let (codec, stored) = try StoredEncoding.encode(payload)
/// // write `stored ?? payload` with `codec` in the record header
/// let bytes = try StoredEncoding.decode(recordPayload, codec: codec, logicalSize: blobLength)
/// ```
///
/// Compression contexts are pooled: making one and sizing its tables cost as much as
/// compressing a few kilobytes, which is what most small blobs are.
public enum StoredEncoding {
    private static let compressionLevel: Int32 = 3

    /// The stored form of `payload`: `(.zstd, frame)` when a zstd frame of it is at most 0.9 of
    /// its size, else `(.verbatim, nil)` and the caller stores `payload` itself. The frame has
    /// the content size in its header and no checksum (the record's XXH3 covers the payload).
    public static func encode(_ payload: UnsafeRawBufferPointer) throws -> (codec: BlobCodec, stored: [UInt8]?) {
        guard CompressionFormat.detect(payload) == .none else { return (.verbatim, nil) }
        // ⌊0.9 × count⌋, computed so that it cannot overflow.
        let limit = payload.count / 10 * 9 + payload.count % 10 * 9 / 10
        guard let frame = try compress(payload, limit: limit) else {
            return (.verbatim, nil)
        }
        return (.zstd, frame)
    }

    /// The blob's bytes from a record's payload: exactly `logicalSize` of them, or an error if
    /// the payload is corrupt or decodes to another length.
    public static func decode(_ stored: UnsafeRawBufferPointer, codec: BlobCodec, logicalSize: Int) throws -> [UInt8] {
        switch codec {
        case .verbatim:
            guard stored.count == logicalSize else { throw CodecError.sizeMismatch(expected: logicalSize, actual: stored.count) }
            return Array(stored)
        case .zstd:
            return try decompress(stored, logicalSize: logicalSize)
        }
    }

    /// One zstd frame of `payload`, or nil if it would be longer than `limit`. Writing into a
    /// buffer of exactly `limit` bytes makes "too large" the stopping condition rather than an
    /// error, and never allocates more than the frame could be worth.
    private static func compress(_ payload: UnsafeRawBufferPointer, limit: Int) throws -> [UInt8]? {
        let pooled = CompressionContext.take()
        defer { CompressionContext.give(pooled) }
        let context = pooled.pointer
        for (parameter, value) in [
            (ZSTD_c_compressionLevel, compressionLevel),
            (ZSTD_c_contentSizeFlag, 1),
            (ZSTD_c_checksumFlag, 0),
        ] {
            let status = ZSTD_CCtx_setParameter(context, parameter, value)
            if ZSTD_isError(status) != 0 { throw CodecError.compressionFailed(errorName(status)) }
        }
        // The pledged size is what puts the content size into the frame header.
        let pledged = ZSTD_CCtx_setPledgedSrcSize(context, UInt64(payload.count))
        if ZSTD_isError(pledged) != 0 { throw CodecError.compressionFailed(errorName(pledged)) }

        // zstd reads at most `payload.count` bytes and writes at most `limit`, the sizes given
        // in its in/out buffers; `written` never exceeds `limit`.
        var remaining = 0
        let frame = [UInt8](unsafeUninitializedCapacity: limit) { buffer, written in
            var source = ZSTD_inBuffer(src: payload.baseAddress, size: payload.count, pos: 0)
            var target = ZSTD_outBuffer(dst: buffer.baseAddress, size: buffer.count, pos: 0)
            remaining = ZSTD_compressStream2(context, &target, &source, ZSTD_e_end)
            written = target.pos
        }
        if ZSTD_isError(remaining) != 0 { throw CodecError.compressionFailed(errorName(remaining)) }
        // Non-zero: the frame is not finished because the buffer is full, so it is over the limit.
        return remaining == 0 ? frame : nil
    }

    private static func decompress(_ stored: UnsafeRawBufferPointer, logicalSize: Int) throws -> [UInt8] {
        let declared = ZSTD_getFrameContentSize(stored.baseAddress, stored.count)
        guard declared == UInt64(logicalSize) else {
            // We always write the size, so its absence means the header is damaged.
            if declared == ZSTD_CONTENTSIZE_UNKNOWN || declared == ZSTD_CONTENTSIZE_ERROR {
                throw CodecError.corruptZstd("frame header has no valid content size")
            }
            throw CodecError.sizeMismatch(expected: logicalSize, actual: Int(clamping: declared))
        }
        // zstd writes at most `logicalSize` bytes, the capacity it is given; on an error nothing
        // counts as initialised. ZSTD_decompress makes its own context for the call.
        var result = 0
        let bytes = [UInt8](unsafeUninitializedCapacity: logicalSize) { buffer, initialized in
            result = ZSTD_decompress(buffer.baseAddress, buffer.count, stored.baseAddress, stored.count)
            initialized = ZSTD_isError(result) != 0 ? 0 : result
        }
        if ZSTD_isError(result) != 0 { throw CodecError.corruptZstd(errorName(result)) }
        guard result == logicalSize else { throw CodecError.sizeMismatch(expected: logicalSize, actual: result) }
        return bytes
    }

    private static func errorName(_ code: Int) -> String {
        String(cString: ZSTD_getErrorName(code))
    }
}
