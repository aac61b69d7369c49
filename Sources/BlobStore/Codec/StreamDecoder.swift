/// Incremental decompression: compressed bytes in, in any chunking; uncompressed bytes out to a
/// sink, in chunks no larger than the decoder's output buffer. Reading through a layer this way
/// never holds more than one buffer of it in memory.
///
/// ```swift
/// var decoder = CompressionFormat.detect(firstBytes).makeDecoder()
/// for chunk in chunks { try chunk.withUnsafeBytes { try decoder.decode($0) { write($0) } } }
/// try decoder.finish()   // throws if the input stopped mid-frame
/// ```
///
/// Decoders own C library state and are not Sendable; keep one per stream.
public protocol StreamDecoder {
    /// Decodes all of `input`, passing every uncompressed byte it yields to `sink` before
    /// returning. Throws `CodecError` for bad input, or whatever `sink` throws.
    mutating func decode(_ input: UnsafeRawBufferPointer, into sink: (UnsafeRawBufferPointer) throws -> Void) throws

    /// Checks that the input ended on a boundary (a whole gzip member or zstd frame), so that a
    /// short read is not mistaken for the whole stream.
    mutating func finish() throws
}
