import CZstd

/// Decompresses a zstd stream of one or more frames (skippable frames included), as
/// `cat a.zst b.zst` and the seekable format produce; the output is the frames' contents back to
/// back, as `zstd -d` gives.
///
/// A class so that the `ZSTD_DCtx` has one owner that frees it.
public final class ZstdDecoder: StreamDecoder {
    private let context: OpaquePointer
    private let output: UnsafeMutableRawBufferPointer
    /// Whether the input so far ends inside a frame. Starts true: an empty input is no zstd stream.
    private var frameOpen = true

    public init() {
        // Only allocation failure makes this nil, which Swift treats as fatal everywhere else.
        guard let context = ZSTD_createDCtx() else { preconditionFailure("ZSTD_createDCtx failed") }
        self.context = context
        // zstd's recommended size: one whole block, so it can decode straight into our buffer.
        output = .allocate(byteCount: ZSTD_DStreamOutSize(), alignment: 1)
    }

    deinit {
        ZSTD_freeDCtx(context)
        output.deallocate()
    }

    /// zstd reads only `input` and writes only `output`, each bounded by the size in its
    /// `ZSTD_inBuffer`/`ZSTD_outBuffer`; neither buffer outlives the call.
    public func decode(_ input: UnsafeRawBufferPointer, into sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        var source = ZSTD_inBuffer(src: input.baseAddress, size: input.count, pos: 0)
        // A full output buffer may mean zstd holds more back, so call again even with no input
        // left. Never call with no input otherwise: after a frame's end that would start a new
        // frame header and make `frameOpen` lie.
        var outputFull = false
        while source.pos < source.size || outputFull {
            var target = ZSTD_outBuffer(dst: output.baseAddress, size: output.count, pos: 0)
            let hint = ZSTD_decompressStream(context, &target, &source)
            if ZSTD_isError(hint) != 0 {
                throw CodecError.corruptZstd(String(cString: ZSTD_getErrorName(hint)))
            }
            if target.pos > 0 {
                try sink(UnsafeRawBufferPointer(rebasing: output[..<target.pos]))
            }
            // 0 means a frame ended and all of its output has been flushed.
            frameOpen = hint != 0
            outputFull = frameOpen && target.pos == target.size
        }
    }

    public func finish() throws {
        if frameOpen {
            throw CodecError.truncated(.zstd)
        }
    }
}
