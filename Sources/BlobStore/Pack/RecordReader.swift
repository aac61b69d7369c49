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

    /// Passes the stored bytes of `range` to `body`, block by block, each block verified first.
    func readStored(
        _ range: Range<UInt64>, _ body: (UnsafeRawBufferPointer) async throws -> Void
    ) async throws {
        guard !range.isEmpty else { return }
        let blockSize = header.blockSize
        let bufferSize = Int(Swift.min(blockSize, header.storedLength))
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: bufferSize, alignment: 64)
        defer { buffer.deallocate() }
        let payloadStart = location.offset + UInt64(RecordHeader.size)
        for block in Int(range.lowerBound / blockSize)...Int((range.upperBound - 1) / blockSize) {
            let blockStart = UInt64(block) * blockSize
            let blockLength = Int(Swift.min(blockSize, header.storedLength - blockStart))
            // blockLength <= bufferSize: a block is at most one block size and never past the payload.
            let slice = UnsafeMutableRawBufferPointer(rebasing: buffer[..<blockLength])
            guard try file.read(into: slice, at: payloadStart + blockStart) == blockLength else {
                throw BlobStoreError.integrity(digest: digest, reason: "\(file.path) ends inside the record")
            }
            guard Checksum.xxh3(UnsafeRawBufferPointer(slice)) == table.checksums[block] else {
                throw BlobStoreError.integrity(
                    digest: digest, reason: "block \(block) checksum mismatch at \(file.path) offset \(payloadStart + blockStart)")
            }
            let from = Int(Swift.max(range.lowerBound, blockStart) - blockStart)
            let to = Int(Swift.min(range.upperBound, blockStart + UInt64(blockLength)) - blockStart)
            try await body(UnsafeRawBufferPointer(rebasing: slice[from..<to]))
        }
    }

    /// The whole stored payload, verified; for small records (compressed ones are always small).
    func storedPayload() async throws -> [UInt8] {
        var payload: [UInt8] = []
        payload.reserveCapacity(Int(header.storedLength))
        try await readStored(0..<header.storedLength) { payload.append(contentsOf: $0) }
        return payload
    }
}
