/// The framing of one pack, read from its headers and block tables alone, so that a pack of
/// gigabytes costs a few reads: every record's header checksum, its extent within the file and
/// its block table against the header. A damaged header is stepped over by searching for the
/// next valid one, so one bad record does not hide the good ones after it.
struct PackWalker: Sendable {
    struct Record: Sendable {
        let offset: UInt64
        let header: RecordHeader
        var end: UInt64 { offset + header.recordLength }
    }

    /// Bytes that belong to no valid record; `header` is set when the header itself was sound
    /// (a bad block table), so the record's digest is known.
    struct Damage: Sendable {
        let offset: UInt64
        let end: UInt64
        let reason: String
        let header: RecordHeader?
        let kind: StoreFinding.Kind
    }

    enum Ending: Sendable {
        /// The last record is a seal that ends exactly at the end of the file.
        case sealed
        /// The records end at the end of the file, without a seal.
        case unsealed
        /// From `offset` to the end of the file nothing valid stands.
        case cut(offset: UInt64, reason: String)
    }

    let packID: UInt64
    let path: String
    let size: UInt64
    let kind: PackHeader.Kind
    private(set) var records: [Record] = []
    private(set) var damage: [Damage] = []
    private(set) var ending: Ending = .unsealed

    private static let searchWindow = 1 << 20

    /// Throws `BlobStoreError.damaged` when the file is no pack at all (short, bad header).
    init(file: SystemFile, packID: UInt64) throws {
        self.packID = packID
        path = file.path
        size = try file.size()
        guard size >= UInt64(PackHeader.size) else { throw BlobStoreError.damaged(path: path, reason: "shorter than a pack header") }
        let header = try PackHeader(decoding: file.read(count: PackHeader.size, at: 0), path: path)
        guard header.packID == packID else { throw BlobStoreError.damaged(path: path, reason: "header names pack \(header.packID)") }
        kind = header.kind
        try walk(file)
    }

    private mutating func walk(_ file: SystemFile) throws {
        var offset = UInt64(PackHeader.size)
        while offset < size {
            switch try Self.check(file, at: offset, size: size) {
            case .record(let header):
                records.append(Record(offset: offset, header: header))
                offset += header.recordLength
                if header.kind == .seal {
                    ending = .sealed
                    if offset < size {
                        damage.append(Damage(offset: offset, end: size, reason: "\(size - offset) bytes after the seal record",
                                             header: nil, kind: .bytesAfterSeal))
                    }
                    return
                }
            case .badTable(let header):
                damage.append(Damage(offset: offset, end: offset + header.recordLength, reason: "block table checksum mismatch",
                                     header: header, kind: .blockTable))
                offset += header.recordLength
            case .broken(let reason):
                guard let next = try Self.nextValidHeader(file, after: offset, size: size) else {
                    ending = .cut(offset: offset, reason: reason)
                    return
                }
                damage.append(Damage(offset: offset, end: next, reason: reason, header: nil, kind: .recordHeader))
                offset = next
            }
        }
        ending = .unsealed
    }

    private enum Check {
        case record(RecordHeader)
        /// The header holds, the extent fits, the block table does not match the header.
        case badTable(RecordHeader)
        case broken(String)
    }

    private static func check(_ file: SystemFile, at offset: UInt64, size: UInt64) throws -> Check {
        guard size - offset >= UInt64(RecordHeader.size) else { return .broken("record header cut off by the end of the file") }
        let header: RecordHeader
        do {
            header = try RecordHeader(decoding: file.read(count: RecordHeader.size, at: offset))
        } catch let error as RecordHeaderError {
            return .broken(error.description)
        }
        guard header.recordLength <= size - offset else {
            return .broken("record of \(header.recordLength) bytes runs past the end of the file (\(size) bytes)")
        }
        let table = try file.read(count: 8 * header.blockCount, at: offset + UInt64(RecordHeader.size) + header.storedLength)
        return Checksum.xxh3(table) == header.tableChecksum ? .record(header) : .badTable(header)
    }

    /// The first offset after `offset` where a record header with a valid checksum stands.
    private static func nextValidHeader(_ file: SystemFile, after offset: UInt64, size: UInt64) throws -> UInt64? {
        let magic = RecordHeader.magic
        var start = offset + 1
        while start + UInt64(RecordHeader.size) <= size {
            let count = Int(Swift.min(UInt64(searchWindow + RecordHeader.size), size - start))
            let window = try file.read(count: count, at: start)
            var position = 0
            while position + RecordHeader.size <= window.count {
                if window[position] == magic[0], window[position + 1] == magic[1], window[position + 2] == magic[2],
                   window[position + 3] == magic[3],
                   (try? RecordHeader(decoding: Array(window[position..<(position + RecordHeader.size)]))) != nil
                {
                    return start + UInt64(position)
                }
                position += 1
            }
            // Windows overlap by a header's length, so a header across their border is found.
            start += UInt64(window.count - RecordHeader.size + 1)
        }
        return nil
    }

    /// The blob records and where they are.
    var entries: [(Digest, BlobLocation)] {
        records.compactMap { record in
            guard record.header.kind == .blob, let digest = record.header.digest else { return nil }
            return (digest, BlobLocation(
                packID: packID, offset: record.offset, storedLength: record.header.storedLength,
                logicalLength: record.header.logicalLength, codec: record.header.codec))
        }
    }
}
