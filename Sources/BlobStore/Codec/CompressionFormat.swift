/// The compression a blob's bytes are in, as far as its first bytes tell.
///
/// Layers arrive gzip- or zstd-compressed; anything else (manifests, configs, plain tar) is
/// `none`. Detection is by magic only, so a blob that merely starts with a magic number is
/// treated as compressed; that errs towards storing it verbatim, which is always safe.
public enum CompressionFormat: Sendable {
    case gzip
    case zstd
    case none

    /// Bytes `detect` needs to tell every format apart; fewer give an answer from what is there.
    static let magicLength = 4

    /// The format whose magic `prefix` starts with.
    public static func detect(_ prefix: UnsafeRawBufferPointer) -> CompressionFormat {
        // Every read below is guarded by a count check on `prefix`.
        if prefix.count >= 2, prefix[0] == 0x1f, prefix[1] == 0x8b {
            return .gzip
        }
        guard prefix.count >= 4 else { return .none }
        let magic = UInt32(prefix[0]) | UInt32(prefix[1]) << 8 | UInt32(prefix[2]) << 16 | UInt32(prefix[3]) << 24
        // A zstd stream may open with a skippable frame (0x184D2A50 to 0x184D2A5F), e.g. for
        // seekable-format metadata, before its first data frame.
        if magic == 0xFD2F_B528 || magic & 0xFFFF_FFF0 == 0x184D_2A50 {
            return .zstd
        }
        return .none
    }

    /// A decoder that turns a stream in this format into its uncompressed bytes.
    public func makeDecoder() -> any StreamDecoder {
        switch self {
        case .gzip: GzipDecoder()
        case .zstd: ZstdDecoder()
        case .none: PassThroughDecoder()
        }
    }
}
