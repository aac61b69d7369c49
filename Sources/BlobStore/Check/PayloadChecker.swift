/// Reads one record's payload block by block: each block against its XXH3 from the block table
/// (scrub) and, when asked, the blob's bytes against its digest (verify), decoding a zstd-stored
/// payload first. Payloads are read through mappings of at most `window` bytes.
struct PayloadChecker {
    enum Outcome: Equatable {
        case good
        case bad(StoreFinding.Kind, String)
    }

    /// Bytes mapped at once: whole blocks, bounded so that a blob of gigabytes is not mapped whole.
    private static let window: UInt64 = 64 << 20
    /// When hashing, each piece of this size is fed to the XXH3 and then to the hasher while it
    /// is still in the core's cache, so the payload crosses the memory bus once, not twice.
    private static let piece = 64 << 10

    let progress: CheckProgress

    /// - Parameter hash: also check the digest, not only the blocks.
    func check(_ file: SystemFile, _ record: PackWalker.Record, hash: Bool) throws -> Outcome {
        let header = record.header
        let payloadStart = record.offset + UInt64(RecordHeader.size)
        guard try file.size() >= record.end else { return .bad(.truncatedPack, "the file now ends inside the record") }
        let table = BlockTable(decoding: try file.read(count: 8 * header.blockCount, at: payloadStart + header.storedLength))
        let digest = hash ? header.digest : nil
        var hasher = digest.map { DigestHasher(algorithm: $0.algorithm) }
        let blocks = BlockTableBuilder(blockShift: header.blockShift)
        var stored: [UInt8] = []
        let window = Swift.max(header.blockSize, Self.window / header.blockSize * header.blockSize)
        var windowStart: UInt64 = 0
        while windowStart < header.storedLength {
            let windowLength = Swift.min(window, header.storedLength - windowStart)
            let region = try MappedRegion(file, offset: payloadStart + windowStart, count: Int(windowLength))
            let pieceSize = hasher == nil ? region.bytes.count : Self.piece
            for from in stride(from: 0, to: region.bytes.count, by: pieceSize) {
                let bytes = UnsafeRawBufferPointer(rebasing: region.bytes[from..<Swift.min(from + pieceSize, region.bytes.count)])
                blocks.update(bytes)
                if hasher != nil {
                    if header.codec == .zstd { stored.append(contentsOf: bytes) } else { hasher!.update(bytes) }
                }
                progress.add(UInt64(bytes.count))
            }
            windowStart += windowLength
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
