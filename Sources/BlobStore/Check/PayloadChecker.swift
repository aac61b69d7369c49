/// Reads one record's payload block by block: each block against its XXH3 from the block table
/// (scrub) and, when asked, the blob's bytes against its digest (verify), decoding a zstd-stored
/// payload first. One checker per thread; its buffer is reused from record to record.
final class PayloadChecker {
    enum Outcome: Equatable {
        case good
        case bad(StoreFinding.Kind, String)
    }

    /// Bytes read at once into the checker's buffer. Small enough that the XXH3 and then the
    /// hasher read them from the core's cache, so the payload crosses the memory bus once;
    /// measured against 16 KiB, 64 KiB and 1 MiB, and against mapping the pack (BENCHMARKS.md).
    private static let piece = 256 << 10

    let progress: CheckProgress
    private let buffer: UnsafeMutableRawBufferPointer

    init(progress: CheckProgress) {
        self.progress = progress
        buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.piece, alignment: 64)
    }

    deinit { buffer.deallocate() }

    /// - Parameter hash: also check the digest, not only the blocks.
    func check(_ file: SystemFile, _ record: PackWalker.Record, hash: Bool) throws -> Outcome {
        let header = record.header
        let payloadStart = record.offset + UInt64(RecordHeader.size)
        let table = BlockTable(decoding: try file.read(count: 8 * header.blockCount, at: payloadStart + header.storedLength))
        let digest = hash ? header.digest : nil
        var hasher = digest.map { DigestHasher(algorithm: $0.algorithm) }
        let blocks = BlockTableBuilder(blockShift: header.blockShift)
        var stored: [UInt8] = []
        var position: UInt64 = 0
        while position < header.storedLength {
            let count = Int(Swift.min(UInt64(buffer.count), header.storedLength - position))
            let slice = UnsafeMutableRawBufferPointer(rebasing: buffer[..<count])
            guard try file.read(into: slice, at: payloadStart + position) == count else {
                return .bad(.truncatedPack, "the file ends inside the payload")
            }
            let bytes = UnsafeRawBufferPointer(slice)
            blocks.update(bytes)
            if hasher != nil {
                if header.codec == .zstd { stored.append(contentsOf: bytes) } else { hasher!.update(bytes) }
            }
            progress.add(UInt64(count))
            position += UInt64(count)
        }
        let computed = blocks.finish().checksums
        if let block = computed.indices.first(where: { computed[$0] != table.checksums[$0] }) {
            let offset = payloadStart + UInt64(block) * header.blockSize
            return .bad(.payloadChecksum, "payload block \(block) (offset \(offset)) fails its XXH3 checksum")
        }
        guard let digest, var hasher else { return .good }
        if header.codec == .zstd {
            let plain: [UInt8]
            do {
                plain = try stored.withUnsafeBytes { try StoredEncoding.decode($0, codec: .zstd, logicalSize: Int(header.logicalLength)) }
            } catch {
                return .bad(.undecodable, "zstd payload does not decode: \(error)")
            }
            hasher.update(plain)
        } else if header.storedLength != header.logicalLength {
            return .bad(.undecodable, "verbatim payload of \(header.storedLength) bytes for a blob of \(header.logicalLength)")
        }
        let actual = hasher.finalize()
        return actual == digest ? .good : .bad(.digestMismatch, "payload hashes to \(actual)")
    }
}
