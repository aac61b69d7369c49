/// Walks the records of a pack file held in memory. Used at open to recover a shared pack that
/// was never sealed: the only place payloads are read at open.
struct PackScanner {
    struct Record {
        let offset: UInt64
        let header: RecordHeader
    }

    enum Outcome {
        /// Every byte belongs to a valid record; `sealed` if the last one is a seal.
        case clean(sealed: Bool)
        /// The records end at `offset`, and no valid record follows: a torn write.
        case tornTail(offset: UInt64, reason: String)
        /// A record fails at `offset`, yet a valid record header stands at `nextValid`.
        case damaged(offset: UInt64, nextValid: UInt64, reason: String)
    }

    let bytes: [UInt8]
    let header: PackHeader
    private(set) var records: [Record] = []
    private(set) var outcome: Outcome = .clean(sealed: false)

    /// Checks every record's header, extent, block table and blocks.
    init(path: String, bytes: [UInt8]) throws {
        guard bytes.count >= PackHeader.size else { throw BlobStoreError.damaged(path: path, reason: "shorter than a pack header") }
        self.bytes = bytes
        self.header = try PackHeader(decoding: Array(bytes[..<PackHeader.size]), path: path)
        outcome = scan()
    }

    private mutating func scan() -> Outcome {
        var offset = PackHeader.size
        while offset < bytes.count {
            switch check(at: offset) {
            case .success(let header):
                records.append(Record(offset: UInt64(offset), header: header))
                offset += Int(header.recordLength)
                if header.kind == .seal {
                    return offset == bytes.count
                        ? .clean(sealed: true)
                        : failure(at: offset, reason: "bytes after the seal record")
                }
            case .failure(let reason):
                return failure(at: offset, reason: reason.text)
            }
        }
        return .clean(sealed: false)
    }

    private func failure(at offset: Int, reason: String) -> Outcome {
        if let next = nextValidHeader(after: offset) {
            return .damaged(offset: UInt64(offset), nextValid: UInt64(next), reason: reason)
        }
        return .tornTail(offset: UInt64(offset), reason: reason)
    }

    struct Failure: Error { let text: String }

    /// The record at `offset` if its header, extent and checksums hold.
    private func check(at offset: Int) -> Result<RecordHeader, Failure> {
        guard bytes.count - offset >= RecordHeader.size else { return .failure(Failure(text: "record header cut off")) }
        let header: RecordHeader
        do {
            header = try RecordHeader(decoding: Array(bytes[offset..<(offset + RecordHeader.size)]))
        } catch {
            return .failure(Failure(text: "\(error)"))
        }
        guard header.recordLength <= UInt64(bytes.count - offset) else {
            return .failure(Failure(text: "record of \(header.recordLength) bytes runs past the end of the file"))
        }
        let payloadStart = offset + RecordHeader.size
        let tableStart = payloadStart + Int(header.storedLength)
        let tableBytes = Array(bytes[tableStart..<(tableStart + 8 * header.blockCount)])
        guard Checksum.xxh3(tableBytes) == header.tableChecksum else {
            return .failure(Failure(text: "block table checksum mismatch"))
        }
        let computed = bytes.withUnsafeBytes { raw in
            BlockTable(payload: UnsafeRawBufferPointer(rebasing: raw[payloadStart..<tableStart]), blockShift: header.blockShift)
        }
        guard computed == BlockTable(decoding: tableBytes) else { return .failure(Failure(text: "payload checksum mismatch")) }
        return .success(header)
    }

    /// The first offset after `offset` where a record header with a valid checksum stands.
    private func nextValidHeader(after offset: Int) -> Int? {
        let magic = RecordHeader.magic
        var position = offset + 1
        while position + RecordHeader.size <= bytes.count {
            if bytes[position] == magic[0], bytes[position + 1] == magic[1], bytes[position + 2] == magic[2],
               bytes[position + 3] == magic[3],
               (try? RecordHeader(decoding: Array(bytes[position..<(position + RecordHeader.size)]))) != nil
            {
                return position
            }
            position += 1
        }
        return nil
    }

    /// The blob records and where they are.
    var entries: [(Digest, BlobLocation)] {
        records.compactMap { record in
            guard record.header.kind == .blob, let digest = record.header.digest else { return nil }
            return (digest, BlobLocation(
                packID: header.packID, offset: record.offset, storedLength: record.header.storedLength,
                logicalLength: record.header.logicalLength, codec: record.header.codec))
        }
    }
}
