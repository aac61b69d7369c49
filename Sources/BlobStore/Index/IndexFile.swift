/// An immutable sorted index file (docs/FORMAT.md, "Index file"): the published index or a
/// sealed pack's own. The file is read into memory whole and searched in place; no entry is
/// decoded until asked for, so opening a store of a million blobs costs one read and one XXH3.
final class IndexFile: Sendable {
    static let magic = Array("STOWIDX1".utf8)
    static let version: UInt16 = 1
    static let headerSize = 32
    static let fanoutSize = 256 * 4
    static let sectionHeaderSize = 16 + fanoutSize
    static let entryTail = 40

    struct Section: Sendable {
        let algorithm: DigestAlgorithm
        let count: Int
        /// Offset of the fanout table.
        let fanout: Int
        /// Offset of the first entry.
        let entries: Int
        var entrySize: Int { algorithm.byteCount + IndexFile.entryTail }
    }

    let path: String
    let bytes: [UInt8]
    let coveredPacks: [UInt64]
    let sections: [Section]

    var count: Int { sections.reduce(0) { $0 + $1.count } }

    init(path: String, bytes: [UInt8]) throws {
        func damaged(_ reason: String) -> BlobStoreError { .damaged(path: path, reason: reason) }
        guard bytes.count >= Self.headerSize + 8, Array(bytes[0..<8]) == Self.magic else { throw damaged("not an index file") }
        let body = bytes.count - 8
        let expected = bytes.littleEndian(UInt64.self, at: body)
        guard bytes.withUnsafeBytes({ Checksum.xxh3(UnsafeRawBufferPointer(rebasing: $0[..<body])) }) == expected else {
            throw damaged("index checksum mismatch")
        }
        guard bytes.littleEndian(UInt16.self, at: 8) == Self.version else { throw damaged("unsupported index version") }
        let sectionCount = Int(bytes.littleEndian(UInt16.self, at: 10))
        let packCount = Int(bytes.littleEndian(UInt64.self, at: 16))
        guard sectionCount <= 2, packCount <= (body - Self.headerSize) / 8 else { throw damaged("index header out of range") }
        coveredPacks = (0..<packCount).map { bytes.littleEndian(UInt64.self, at: Self.headerSize + 8 * $0) }

        var sections: [Section] = []
        var offset = Self.headerSize + 8 * packCount
        for _ in 0..<sectionCount {
            guard offset + Self.sectionHeaderSize <= body, let algorithm = AlgorithmCode.algorithm(for: bytes[offset]) else {
                throw damaged("index section header out of range")
            }
            let count = bytes.littleEndian(UInt64.self, at: offset + 8)
            let entrySize = UInt64(algorithm.byteCount + Self.entryTail)
            let entries = offset + Self.sectionHeaderSize
            guard count <= UInt64(body - entries) / entrySize else { throw damaged("index section overruns the file") }
            sections.append(Section(algorithm: algorithm, count: Int(count), fanout: offset + 16, entries: entries))
            offset = entries + Int(count) * Int(entrySize)
        }
        guard offset == body else { throw damaged("index has \(body - offset) stray bytes") }
        self.path = path
        self.bytes = bytes
        self.sections = sections
    }

    static func load(_ path: String) throws -> IndexFile {
        let file = try SystemFile.openForReading(path)
        return try IndexFile(path: path, bytes: file.read(count: Int(file.size()), at: 0))
    }

    func lookup(_ digest: Digest) -> BlobLocation? {
        guard let section = sections.first(where: { $0.algorithm == digest.algorithm }) else { return nil }
        return digest.withUnsafeBytes { key in
            bytes.withUnsafeBytes { raw in
                // The fanout bounds the search to the entries whose first byte matches; every
                // offset below is inside the section, whose extent init checked.
                let first = Int(key[0])
                var low = first == 0 ? 0 : Int(raw.loadUnaligned(fromByteOffset: section.fanout + 4 * (first - 1), as: UInt32.self).littleEndian)
                var high = Int(raw.loadUnaligned(fromByteOffset: section.fanout + 4 * first, as: UInt32.self).littleEndian)
                guard low <= high, high <= section.count else { return nil }
                while low < high {
                    let middle = (low + high) / 2
                    let entry = section.entries + middle * section.entrySize
                    let order = compare(key, UnsafeRawBufferPointer(rebasing: raw[entry..<(entry + key.count)]))
                    if order == 0 { return location(raw, at: entry + key.count) }
                    if order < 0 { high = middle } else { low = middle + 1 }
                }
                return nil
            }
        }
    }

    /// Every entry, in digest order within each algorithm.
    func forEach(_ body: (Digest, BlobLocation) throws -> Void) rethrows {
        try bytes.withUnsafeBytes { raw in
            for section in sections {
                for index in 0..<section.count {
                    let entry = section.entries + index * section.entrySize
                    let digestEnd = entry + section.algorithm.byteCount
                    let digest = Digest(algorithm: section.algorithm, bytes: UnsafeRawBufferPointer(rebasing: raw[entry..<digestEnd]))
                    try body(digest, location(raw, at: digestEnd))
                }
            }
        }
    }

    private func location(_ raw: UnsafeRawBufferPointer, at offset: Int) -> BlobLocation {
        func field(_ index: Int) -> UInt64 {
            UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: offset + 8 * index, as: UInt64.self))
        }
        return BlobLocation(
            packID: field(0), offset: field(1), storedLength: field(2), logicalLength: field(3),
            codec: BlobCodec(rawValue: raw[offset + 32]) ?? .verbatim
        )
    }

    private func compare(_ lhs: UnsafeRawBufferPointer, _ rhs: UnsafeRawBufferPointer) -> Int {
        for index in 0..<lhs.count where lhs[index] != rhs[index] {
            return lhs[index] < rhs[index] ? -1 : 1
        }
        return 0
    }

    /// Encodes entries (any order; duplicates keep the first) covering `packs` into the format.
    static func encode(entries: [(Digest, BlobLocation)], coveredPacks: [UInt64]) -> [UInt8] {
        var seen = Set<Digest>()
        let unique = entries.filter { seen.insert($0.0).inserted }.sorted { $0.0 < $1.0 }
        let algorithms = DigestAlgorithm.allCases.filter { algorithm in unique.contains { $0.0.algorithm == algorithm } }

        var bytes = magic
        bytes.appendLittleEndian(version)
        bytes.appendLittleEndian(UInt16(algorithms.count))
        bytes.appendZeros(4)
        bytes.appendLittleEndian(UInt64(coveredPacks.count))
        bytes.appendZeros(8)
        for pack in coveredPacks.sorted() { bytes.appendLittleEndian(pack) }
        for algorithm in algorithms {
            let section = unique.filter { $0.0.algorithm == algorithm }
            bytes.append(AlgorithmCode.code(for: algorithm))
            bytes.appendZeros(7)
            bytes.appendLittleEndian(UInt64(section.count))
            var counts = [UInt32](repeating: 0, count: 256)
            for (digest, _) in section { digest.withUnsafeBytes { counts[Int($0[0])] += 1 } }
            var running: UInt32 = 0
            for count in counts {
                running += count
                bytes.appendLittleEndian(running)
            }
            for (digest, location) in section {
                digest.withUnsafeBytes { bytes.append(contentsOf: $0) }
                bytes.appendLittleEndian(location.packID)
                bytes.appendLittleEndian(location.offset)
                bytes.appendLittleEndian(location.storedLength)
                bytes.appendLittleEndian(location.logicalLength)
                bytes.append(location.codec.rawValue)
                bytes.appendZeros(7)
            }
        }
        bytes.appendLittleEndian(Checksum.xxh3(bytes))
        return bytes
    }
}
