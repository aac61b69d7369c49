/// Why compressing or decompressing a blob failed. Corruption cases carry the library's own
/// words, which name the broken structure (a bad block type, a bad checksum) better than we could.
public enum CodecError: Error, Sendable, Equatable, CustomStringConvertible {
    /// zlib refused the gzip stream; the message is zlib's.
    case corruptGzip(String)
    /// zstd refused the stream or frame; the message is `ZSTD_getErrorName`'s.
    case corruptZstd(String)
    /// The input ended inside a gzip member or zstd frame, or held none at all.
    case truncated(CompressionFormat)
    /// A stored payload decoded, or would decode, to a different length than the record says.
    case sizeMismatch(expected: Int, actual: Int)
    /// zstd could not compress a payload; the message is `ZSTD_getErrorName`'s.
    case compressionFailed(String)

    public var description: String {
        switch self {
        case .corruptGzip(let message):
            "corrupt gzip stream: \(message)"
        case .corruptZstd(let message):
            "corrupt zstd stream: \(message)"
        case .truncated(let format):
            "\(format) stream is truncated: it ends inside a \(format == .gzip ? "member" : "frame")"
        case .sizeMismatch(let expected, let actual):
            "stored payload decodes to \(actual) bytes, not the \(expected) recorded"
        case .compressionFailed(let message):
            "zstd compression failed: \(message)"
        }
    }
}
