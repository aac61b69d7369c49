/// Reads one blob's record from its pack, checking everything on the way: the header against the
/// index entry, the block table against the header, each block against the table before any of
/// its bytes are handed on.
struct RecordReader {
    let file: SystemFile
    let digest: Digest
    let location: BlobLocation
    let header: RecordHeader
    let table: BlockTable

    init(path: String, digest: Digest, location: BlobLocation) throws {
        let file = try SystemFile.openForReading(path)
        let headerBytes = try file.read(count: RecordHeader.size, at: location.offset)
        let header: RecordHeader
        do {
            header = try RecordHeader(decoding: headerBytes)
        } catch {
            throw BlobStoreError.integrity(digest: digest, reason: "\(error) at \(path) offset \(location.offset)")
        }
        guard header.kind == .blob, header.digest == digest, header.storedLength == location.storedLength,
              header.logicalLength == location.logicalLength, header.codec == location.codec
        else {
            throw BlobStoreError.integrity(digest: digest, reason: "record at \(path) offset \(location.offset) does not match the index")
        }
        let tableOffset = location.offset + UInt64(RecordHeader.size) + header.storedLength
        let tableBytes = try file.read(count: 8 * header.blockCount, at: tableOffset)
        guard Checksum.xxh3(tableBytes) == header.tableChecksum else {
            throw BlobStoreError.integrity(digest: digest, reason: "block table checksum mismatch at \(path) offset \(tableOffset)")
        }
        self.file = file
        self.digest = digest
        self.location = location
        self.header = header
        self.table = BlockTable(decoding: tableBytes)
    }

    /// The blob's bytes in `range` (of its bytes as pushed, decoded if stored compressed), block
    /// by block, each read only when `body` asks for it.
    func readBlocks(_ range: Range<UInt64>, _ body: (BlobBlock) async throws -> Void) async throws {
        switch location.codec {
        case .verbatim:
            let indices = blockIndices(overlapping: range)
            // Keeps the kernel reading a few blocks ahead of the one being sent, each asked for
            // once, so a blob that is not in the page cache (uploads bypass it) streams at the
            // disk's pace instead of one block's read after each block's send. The first block
            // is read at once: asking for it too would only cost small reads a system call.
            var requested = indices.lowerBound + 1
            for index in indices {
                let through = Swift.min(index + Self.prefetchBlocks, indices.upperBound - 1)
                if requested <= through {
                    file.prefetch(payloadRange(ofBlocks: requested..<through + 1))
                    requested = through + 1
                }
                try await body(block(index, within: range))
            }
        case .zstd:
            guard !range.isEmpty else { return }
            let plain = try storedPayload().withUnsafeBytes {
                try StoredEncoding.decode($0, codec: .zstd, logicalSize: Int(location.logicalLength))
            }
            try await body(BlobBlock(
                count: range.count, kept: 0..<range.count, source: .decoded(plain, Int(range.lowerBound)..<Int(range.upperBound))))
        }
    }

    /// `readBlocks` through one buffer: `body` sees each block's kept bytes, valid during the call.
    func read(_ range: Range<UInt64>, _ body: (UnsafeRawBufferPointer) async throws -> Void) async throws {
        var buffer = UnsafeMutableRawBufferPointer(start: nil, count: 0)
        defer { buffer.deallocate() }
        try await readBlocks(range) { block in
            if buffer.count < block.count {
                buffer.deallocate()
                buffer = .allocate(byteCount: block.count, alignment: 64)
            }
            try block.read(into: buffer)
            try await body(UnsafeRawBufferPointer(rebasing: buffer[block.kept]))
        }
    }

    /// How many blocks ahead of the one being sent `readBlocks` has the disk read.
    static let prefetchBlocks = 4

    /// The blocks of the stored payload that overlap `range`, in order.
    func blocks(overlapping range: Range<UInt64>) -> some Sequence<BlobBlock> {
        blockIndices(overlapping: range).lazy.map { block($0, within: range) }
    }

    private func blockIndices(overlapping range: Range<UInt64>) -> Range<Int> {
        range.isEmpty ? 0..<0 : Int(range.lowerBound / header.blockSize)..<Int((range.upperBound - 1) / header.blockSize) + 1
    }

    private func block(_ index: Int, within range: Range<UInt64>) -> BlobBlock {
        let blockStart = UInt64(index) * header.blockSize
        let count = Int(Swift.min(header.blockSize, header.storedLength - blockStart))
        let from = Int(Swift.max(range.lowerBound, blockStart) - blockStart)
        let to = Int(Swift.min(range.upperBound, blockStart + UInt64(count)) - blockStart)
        return BlobBlock(count: count, kept: from..<to, source: .stored(self, block: index))
    }

    /// Where blocks `blocks` lie in the pack file.
    private func payloadRange(ofBlocks blocks: Range<Int>) -> Range<UInt64> {
        let payloadStart = location.offset + UInt64(RecordHeader.size)
        let end = Swift.min(UInt64(blocks.upperBound) * header.blockSize, header.storedLength)
        return payloadStart + UInt64(blocks.lowerBound) * header.blockSize..<payloadStart + end
    }

    /// Reads block `block` into `destination`, exactly its length, and checks it against the table.
    func readBlock(_ block: Int, into destination: UnsafeMutableRawBufferPointer) throws {
        let offset = payloadRange(ofBlocks: block..<block + 1).lowerBound
        guard try file.read(into: destination, at: offset) == destination.count else {
            throw BlobStoreError.integrity(digest: digest, reason: "\(file.path) ends inside the record")
        }
        guard Checksum.xxh3(UnsafeRawBufferPointer(destination)) == table.checksums[block] else {
            throw BlobStoreError.integrity(digest: digest, reason: "block \(block) checksum mismatch at \(file.path) offset \(offset)")
        }
    }

    /// The whole stored payload, verified; for small records (compressed ones are always small).
    func storedPayload() throws -> [UInt8] {
        try [UInt8](unsafeUninitializedCapacity: Int(header.storedLength)) { payload, initialized in
            // The blocks of the whole payload tile it in order, so each lands at its own offset.
            var offset = 0
            for block in blocks(overlapping: 0..<header.storedLength) {
                try block.read(into: UnsafeMutableRawBufferPointer(rebasing: UnsafeMutableRawBufferPointer(payload)[offset...]))
                offset += block.count
            }
            initialized = offset
        }
    }
}
