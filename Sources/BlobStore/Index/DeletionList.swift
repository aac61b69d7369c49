/// The records no index may point at again (docs/FORMAT.md, "Deletion list"): what collection
/// removed, what compaction moved, copies the index never took. The published index lacking a
/// record cannot tell a deletion from a lost entry; this list can, and it outlives a damaged or
/// rebuilt index.
struct DeletionList: Equatable, Sendable {
    static let magic = Array("STOWDEL1".utf8)
    static let version: UInt16 = 1
    static let entrySize = 88

    /// The dead records, with the blob each held.
    private(set) var records: [RecordPlace: Digest]

    init(records: [RecordPlace: Digest] = [:]) {
        self.records = records
    }

    func contains(_ place: RecordPlace) -> Bool {
        records[place] != nil
    }

    func contains(_ location: BlobLocation) -> Bool {
        records[location.place] != nil
    }

    var packIDs: Set<UInt64> { Set(records.keys.map(\.packID)) }

    func adding(_ more: [RecordPlace: Digest]) -> DeletionList {
        DeletionList(records: records.merging(more) { _, new in new })
    }

    /// The list without the entries of packs that are not in `packs`: their files are gone, and
    /// an entry must not outlive its pack.
    func keeping(packs: Set<UInt64>) -> DeletionList {
        DeletionList(records: records.filter { packs.contains($0.key.packID) })
    }

    func dropping(packs: Set<UInt64>) -> DeletionList {
        DeletionList(records: records.filter { !packs.contains($0.key.packID) })
    }

    /// What a store without a list (or with a damaged one) is taken to have deleted: every record
    /// of a pack the published index covers that the index does not point at.
    static func derived(published: IndexFile, records: [(Digest, BlobLocation)]) -> DeletionList {
        let covered = Set(published.coveredPacks)
        var dead: [RecordPlace: Digest] = [:]
        for (digest, location) in records where covered.contains(location.packID) && published.lookup(digest) != location {
            dead[location.place] = digest
        }
        return DeletionList(records: dead)
    }

    // MARK: File

    /// The list in `directory`; nil if there is none.
    static func load(_ directory: DataDirectory) throws -> DeletionList? {
        guard FileSystem.exists(directory.deletionList) else { return nil }
        let file = try SystemFile.openForReading(directory.deletionList)
        return try DeletionList(decoding: file.read(count: Int(file.size()), at: 0), path: directory.deletionList)
    }

    /// Replaces the file by rename, synced with its directory.
    func write(to directory: DataDirectory) throws {
        try FileSystem.replace(directory.deletionList, with: encoded())
    }

    func encoded() -> [UInt8] {
        let sorted = records.sorted { $0.key < $1.key }
        var bytes = Self.magic
        bytes.reserveCapacity(24 + sorted.count * Self.entrySize)
        bytes.appendLittleEndian(Self.version)
        bytes.appendZeros(2)
        bytes.appendLittleEndian(UInt32(sorted.count))
        for (place, digest) in sorted {
            bytes.appendLittleEndian(place.packID)
            bytes.appendLittleEndian(place.offset)
            bytes.append(AlgorithmCode.code(for: digest.algorithm))
            bytes.appendZeros(7)
            digest.withUnsafeBytes { bytes.append(contentsOf: $0) }
            bytes.appendZeros(64 - digest.algorithm.byteCount)
        }
        bytes.appendLittleEndian(Checksum.xxh3(bytes))
        return bytes
    }

    init(decoding bytes: [UInt8], path: String) throws {
        func damaged(_ reason: String) -> BlobStoreError { .damaged(path: path, reason: reason) }
        guard bytes.count >= 24, Array(bytes[0..<8]) == Self.magic else { throw damaged("not a deletion list") }
        let body = bytes.count - 8
        guard bytes.withUnsafeBytes({ Checksum.xxh3(UnsafeRawBufferPointer(rebasing: $0[..<body])) })
            == bytes.littleEndian(UInt64.self, at: body)
        else {
            throw damaged("deletion list checksum mismatch")
        }
        guard bytes.littleEndian(UInt16.self, at: 8) == Self.version else { throw damaged("unsupported deletion list version") }
        let count = Int(bytes.littleEndian(UInt32.self, at: 12))
        guard body == 16 + count * Self.entrySize else { throw damaged("deletion list length disagrees with its count") }
        var records: [RecordPlace: Digest] = [:]
        records.reserveCapacity(count)
        for index in 0..<count {
            let base = 16 + index * Self.entrySize
            let code = bytes[base + 16]
            guard let algorithm = AlgorithmCode.algorithm(for: code) else { throw damaged("unknown digest algorithm \(code)") }
            let place = RecordPlace(packID: bytes.littleEndian(UInt64.self, at: base), offset: bytes.littleEndian(UInt64.self, at: base + 8))
            records[place] = Digest(algorithm: algorithm, bytes: bytes[(base + 24)..<(base + 24 + algorithm.byteCount)])
        }
        self.init(records: records)
    }
}
