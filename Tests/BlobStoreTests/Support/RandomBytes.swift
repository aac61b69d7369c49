import BlobStore
import TestSupport

extension StreamingHasher {
    /// Feeds `bytes` in the given chunk lengths.
    mutating func update(_ bytes: [UInt8], chunks: [Int]) {
        var offset = 0
        bytes.withUnsafeBytes { raw in
            for length in chunks {
                update(UnsafeRawBufferPointer(rebasing: raw[offset..<(offset + length)]))
                offset += length
            }
        }
    }
}

/// `count` deterministic pseudo-random bytes.
func randomBytes(seed: UInt64, count: Int) -> [UInt8] {
    var generator = SeededGenerator(seed: seed)
    return generator.bytes(count)
}
