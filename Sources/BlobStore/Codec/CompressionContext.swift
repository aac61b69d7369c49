import CZstd

/// A zstd compression context, pooled so that compressing a small blob does not pay for
/// allocating and sizing a context's tables every time.
///
/// Unchecked Sendable: a context is used by one caller at a time; `take` hands it out of the
/// pool and `give` puts it back, both under the pool's lock.
final class CompressionContext: @unchecked Sendable {
    let pointer: OpaquePointer

    private init() {
        // Only allocation failure makes this nil, which Swift treats as fatal everywhere else.
        guard let pointer = ZSTD_createCCtx() else { preconditionFailure("ZSTD_createCCtx failed") }
        self.pointer = pointer
    }

    deinit { ZSTD_freeCCtx(pointer) }

    /// Enough for every core compressing at once; more are freed instead of kept.
    private static let pool = ObjectPool(limit: 16) { CompressionContext() }

    /// A context with no session and default parameters.
    static func take() -> CompressionContext {
        let context = pool.take()
        ZSTD_CCtx_reset(context.pointer, ZSTD_reset_session_and_parameters)
        return context
    }

    static func give(_ context: CompressionContext) { pool.give(context) }
}
