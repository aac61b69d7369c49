/// The OCI diff_id of a layer: the SHA-256 and length of its uncompressed stream, computed from
/// the stored (gzip, zstd or plain tar) bytes fed in any chunking. A plain tar layer's diff_id is
/// its own digest.
///
/// ```swift
/// var digester = LayerDigester()
/// for chunk in storedChunks { try chunk.withUnsafeBytes { try digester.update($0) } }
/// let (diffID, size) = try digester.finish()
/// ```
///
/// Non-copyable because the decoder inside is a reference: a copy would share it and both copies
/// would then hash a corrupted stream.
public struct LayerDigester: ~Copyable {
    /// The first bytes, held until there are enough to recognise the format.
    private var prefix: [UInt8] = []
    /// Set once the format is known.
    private var decoder: (any StreamDecoder)?
    private var hasher = SHA256Hasher()

    public init() {}

    public mutating func update(_ bytes: UnsafeRawBufferPointer) throws {
        if decoder != nil {
            try Self.feed(bytes, to: &decoder!, hasher: &hasher)
            return
        }
        prefix.append(contentsOf: bytes)
        if prefix.count >= CompressionFormat.magicLength {
            decoder = try Self.start(with: prefix, hasher: &hasher)
            prefix = []
        }
    }

    /// The diff_id and uncompressed size. Throws if the stream is truncated. The digester is
    /// left as it was, so a caller may read a result and go on feeding.
    public func finish() throws -> (diffID: Digest, size: UInt64) {
        var hasher = hasher
        var decoder: any StreamDecoder
        if let started = self.decoder {
            decoder = started
        } else {
            // A stream shorter than the longest magic: decide on what there is.
            decoder = try Self.start(with: prefix, hasher: &hasher)
        }
        try decoder.finish()
        return (hasher.finalize(), hasher.byteCount)
    }

    /// A decoder for the format `prefix` starts with, already fed `prefix`.
    private static func start(with prefix: [UInt8], hasher: inout SHA256Hasher) throws -> any StreamDecoder {
        // Span, not Array, because its withUnsafeBytes keeps the typed error.
        try prefix.span.withUnsafeBytes { (raw) in
            var decoder = CompressionFormat.detect(raw).makeDecoder()
            try feed(raw, to: &decoder, hasher: &hasher)
            return decoder
        }
    }

    private static func feed(_ bytes: UnsafeRawBufferPointer, to decoder: inout any StreamDecoder, hasher: inout SHA256Hasher) throws {
        do {
            try decoder.decode(bytes) { hasher.update($0) }
        } catch {
            // The hashing sink cannot throw, so every error is the decoder's own.
            throw error as! CodecError
        }
    }
}
