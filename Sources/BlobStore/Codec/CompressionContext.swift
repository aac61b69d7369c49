import CZstd
import Synchronization

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

    private static let pool = Mutex<[CompressionContext]>([])
    /// Enough for every core compressing at once; more are freed instead of kept.
    private static let pooledLimit = 16

    /// A context with no session and default parameters.
    static func take() -> CompressionContext {
        guard let context = pool.withLock({ $0.popLast() }) else { return CompressionContext() }
        ZSTD_CCtx_reset(context.pointer, ZSTD_reset_session_and_parameters)
        return context
    }

    static func give(_ context: CompressionContext) {
        pool.withLock { free in
            if free.count < pooledLimit { free.append(context) }
        }
    }
}
