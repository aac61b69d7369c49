/// One block of an upload on its way to the spool: page-aligned memory that direct I/O can
/// write from. Buffers are pooled, so a busy server reuses memory it has already touched instead
/// of faulting in a fresh megabyte per request.
///
/// Unchecked Sendable: a buffer has one owner at a time, the `SpoolWriter` filling it or the
/// blocking-I/O thread writing it, and it changes hands only through `PendingWrite`'s lock.
final class StagingBuffer: @unchecked Sendable {
    static let size = 1 << 20
    static let alignment = 4096

    let bytes: UnsafeMutableRawBufferPointer

    private init() {
        bytes = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.size, alignment: Self.alignment)
    }

    deinit { bytes.deallocate() }

    /// Free buffers kept for reuse; enough for every large upload a 2-core server runs at once.
    private static let pool = ObjectPool(limit: 32) { StagingBuffer() }

    static func take() -> StagingBuffer { pool.take() }

    static func give(_ buffer: StagingBuffer) { pool.give(buffer) }
}
