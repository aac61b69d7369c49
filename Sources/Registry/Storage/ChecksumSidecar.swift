import BlobStore

/// The `.sums` object beside a blob's object (docs/FORMAT.md, "Checksum sidecar"): its digest,
/// size and block checksums, so that the bucket alone can say what each object is.
enum ChecksumSidecar {
    static let magic = Array("SSUM".utf8)

    static func encode(_ row: ObjectBlobRow) -> [UInt8] {
        var bytes = magic + [1, row.digest.algorithm == .sha512 ? 2 : 1, UInt8(BlockChecksums.blockShift), 0]
        bytes += (0..<8).map { UInt8(truncatingIfNeeded: row.size >> (8 * UInt64($0))) }
        let digest = row.digest.bytes
        bytes += digest + [UInt8](repeating: 0, count: 64 - digest.count)
        bytes += row.checksums.encoded
        let crc = bytes.withUnsafeBytes { Checksum.crc32($0) }
        bytes += (0..<4).map { UInt8(truncatingIfNeeded: crc >> (8 * UInt32($0))) }
        return bytes
    }

    /// The sidecar's digest, size and checksums; nil for bytes that are not a sound sidecar.
    static func decode(_ bytes: [UInt8]) -> (digest: Digest, size: UInt64, checksums: BlockChecksums)? {
        guard bytes.count >= 92, (bytes.count - 84) % 8 == 0, Array(bytes[0..<4]) == magic, bytes[4] == 1,
            bytes[6] == UInt8(BlockChecksums.blockShift)
        else { return nil }
        let body = bytes[0..<(bytes.count - 4)]
        let stored = (0..<4).reduce(UInt32(0)) { $0 | UInt32(bytes[bytes.count - 4 + $1]) << (8 * UInt32($1)) }
        guard Array(body).withUnsafeBytes({ Checksum.crc32($0) }) == stored else { return nil }
        let algorithm: DigestAlgorithm = bytes[5] == 2 ? .sha512 : .sha256
        let size = (0..<8).reduce(UInt64(0)) { $0 | UInt64(bytes[8 + $1]) << (8 * UInt64($1)) }
        let digest = Digest(algorithm: algorithm, bytes: bytes[16..<(16 + algorithm.byteCount)])
        guard let checksums = try? BlockChecksums(encoded: Array(bytes[80..<(bytes.count - 4)])) else { return nil }
        return (digest, size, checksums)
    }
}
