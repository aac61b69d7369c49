import BlobStore
import NIOCore

/// XXH3-64s of a blob's blocks of 1 MiB (the last may be short; an empty blob has one block, the
/// XXH3 of nothing), as the engine keeps them for its records, and their little-endian bytes as
/// the cluster store keeps them (docs/FORMAT.md, "Cluster store").
struct BlockChecksums: Sendable, Equatable {
    static let blockShift = 20
    static let blockSize = 1 << blockShift

    var values: [UInt64] = []

    init(values: [UInt64] = []) {
        self.values = values
    }

    init(encoded bytes: [UInt8]) throws(BlobStoreError) {
        guard bytes.count % 8 == 0 else { throw .integrity(digest: nil, reason: "a block table of \(bytes.count) bytes") }
        values = stride(from: 0, to: bytes.count, by: 8).map { start in
            (0..<8).reduce(UInt64(0)) { $0 | UInt64(bytes[start + $1]) << (8 * UInt64($1)) }
        }
    }

    var encoded: [UInt8] {
        values.flatMap { value in (0..<8).map { UInt8(truncatingIfNeeded: value >> (8 * UInt64($0))) } }
    }

    /// Appends the checksums of `bytes`, which start on a block boundary; all its blocks are
    /// whole but (when `last`) the final one.
    mutating func append(_ bytes: ByteBuffer) {
        bytes.withUnsafeReadableBytes { raw in
            var start = 0
            repeat {
                let end = min(raw.count, start + Self.blockSize)
                values.append(Checksum.xxh3(UnsafeRawBufferPointer(rebasing: raw[start..<end])))
                start = end
            } while start < raw.count
        }
    }

    /// Of a whole blob held in memory.
    static func of(_ bytes: ByteBuffer) -> BlockChecksums {
        var checksums = BlockChecksums()
        checksums.append(bytes)
        return checksums
    }

    /// Checks block `index` of `digest`'s blob.
    func verify(_ block: UnsafeRawBufferPointer, index: Int, of digest: Digest) throws(BlobStoreError) {
        guard index < values.count, Checksum.xxh3(block) == values[index] else {
            throw .integrity(digest: digest, reason: "block \(index) of the object fails its checksum")
        }
    }
}
