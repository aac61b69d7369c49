import BlobStore
import NIOCore

/// The random blobs of one run, generated and hashed before anything is timed.
///
/// Large blobs are overlapping windows into one random pool, each starting `largeStride` bytes
/// after the previous one: every blob has its own digest, so no registry can deduplicate them,
/// yet two dozen 256 MiB blobs cost 280 MiB of memory instead of 6 GiB. Small blobs are disjoint
/// slices of a second pool. Slices of a `ByteBuffer` share its storage, so sending one copies
/// nothing.
struct BlobCorpus: Sendable {
    struct Blob: Sendable {
        let bytes: ByteBuffer
        let digest: Digest
        var size: Int { bytes.readableBytes }

        init(bytes: ByteBuffer) {
            var hasher = SHA256Hasher()
            bytes.withUnsafeReadableBytes { hasher.update($0) }
            self.bytes = bytes
            self.digest = hasher.finalize()
        }
    }

    static let largeStride = 1 << 20

    let large: [Blob]
    let small: [Blob]

    /// `seed` comes from the system's random generator in a normal run, so that a second run
    /// against the same registry pushes blobs it has never seen.
    init(largeCount: Int, largeSize: Int, smallCount: Int, smallSize: Int, seed: UInt64) {
        var generator = Xoshiro256(seed: seed)
        let largePool = largeCount == 0
            ? ByteBuffer()
            : Self.randomBuffer(count: largeSize + (largeCount - 1) * Self.largeStride, using: &generator)
        large = (0..<largeCount).map { index in
            Blob(bytes: largePool.getSlice(at: index * Self.largeStride, length: largeSize)!)
        }
        let smallPool = Self.randomBuffer(count: smallCount * smallSize, using: &generator)
        small = (0..<smallCount).map { index in
            Blob(bytes: smallPool.getSlice(at: index * smallSize, length: smallSize)!)
        }
    }

    private static func randomBuffer(count: Int, using generator: inout Xoshiro256) -> ByteBuffer {
        var buffer = ByteBufferAllocator().buffer(capacity: count)
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: count) { raw in
            let words = count / 8
            for index in 0..<words {
                raw.storeBytes(of: generator.next(), toByteOffset: index * 8, as: UInt64.self)
            }
            for index in (words * 8)..<count {
                raw[index] = UInt8(truncatingIfNeeded: generator.next())
            }
            return count
        }
        return buffer
    }
}
