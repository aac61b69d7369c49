/// Reads one record's payload block by block: each block against its XXH3 from the block table
/// (scrub) and, when asked, the blob's bytes against its digest (verify), decoding a zstd-stored
/// payload first. One checker per thread; its buffer is reused from record to record.
final class PayloadChecker {
    enum Outcome: Equatable {
        case good
        case bad(StoreFinding.Kind, String)
    }

    private var buffer: UnsafeMutableRawBufferPointer
    private let progress: CheckProgress

    init(progress: CheckProgress) {
        self.progress = progress
        buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << Int(RecordHeader.defaultBlockShift), alignment: 64)
    }

    deinit { buffer.deallocate() }

    /// - Parameter hash: also check the digest, not only the blocks.
    func check(_ file: SystemFile, _ record: PackWalker.Record, hash: Bool) throws -> Outcome {
        let header = record.header
        let blockSize = header.blockSize
        if UInt64(buffer.count) < blockSize {
            buffer.deallocate()
            buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Int(blockSize), alignment: 64)
        }
        let payloadStart = record.offset + UInt64(RecordHeader.size)
        let table = BlockTable(decoding: try file.read(count: 8 * header.blockCount, at: payloadStart + header.storedLength))
        let digest = hash ? header.digest : nil
        var hasher = digest.map { DigestHasher(algorithm: $0.algorithm) }
        var stored: [UInt8] = []
        for block in 0..<header.blockCount {
            let blockStart = UInt64(block) * blockSize
            let length = Int(Swift.min(blockSize, header.storedLength - blockStart))
            let slice = UnsafeMutableRawBufferPointer(rebasing: buffer[..<length])
            guard try file.read(into: slice, at: payloadStart + blockStart) == length else {
                return .bad(.truncatedPack, "the file ends inside the payload")
            }
            let bytes = UnsafeRawBufferPointer(slice)
            guard Checksum.xxh3(bytes) == table.checksums[block] else {
                return .bad(.payloadChecksum, "payload block \(block) (offset \(payloadStart + blockStart)) fails its XXH3 checksum")
            }
            progress.add(UInt64(length))
            if hasher != nil {
                if header.codec == .zstd { stored.append(contentsOf: bytes) } else { hasher!.update(bytes) }
            }
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
