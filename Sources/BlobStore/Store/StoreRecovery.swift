#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What opening a data directory finds and mends (docs/FORMAT.md, "Index file", "Deletion list"
/// and "Recovery of an unsealed shared pack"). It reads the published index and the deletion list
/// whole, the headers of solo packs it does not cover, the `.idx` of sealed packs it does not
/// cover, and scans only unsealed packs.
struct StoreRecovery: Sendable {
    let index: LiveIndex
    let highestPackID: UInt64
    let uploads: [UploadSession]
    let deletions: DeletionList
    /// Packs were found that the published index does not cover yet, or it lists dead records.
    let needsPublish: Bool

    init(directory: DataDirectory) throws {
        for folder in [directory.indexDirectory, directory.packs, directory.uploads] {
            try FileSystem.removeLeftovers(in: folder)
        }

        let published = FileSystem.exists(directory.publishedIndex) ? try IndexFile.load(directory.publishedIndex) : nil
        var packFiles = Set<UInt64>()
        var indexFiles = Set<UInt64>()
        for name in try FileSystem.list(directory.packs) {
            guard let (id, ext) = DataDirectory.parsePackFileName(name) else { continue }
            if ext == "pack" { packFiles.insert(id) } else if ext == "idx" { indexFiles.insert(id) }
        }

        let covered = Set(published?.coveredPacks ?? [])
        if let missing = covered.subtracting(packFiles).min() {
            throw BlobStoreError.damaged(path: directory.packPath(missing), reason: "pack is listed in the published index but missing")
        }

        // Records stowage-fsck took out of service are never indexed again (docs/FORMAT.md, "Quarantine list").
        let quarantine = try QuarantineList.load(directory)
        let listed = try DeletionList.load(directory)
        let deletions = try listed ?? Self.deriveDeletions(published, quarantine: quarantine, directory: directory, indexFiles: indexFiles)
        // Written before any pack is created: an entry of a pack that is gone must not name a
        // record of a new pack that takes its id.
        let kept = deletions.keeping(packs: packFiles)
        if listed == nil || kept != deletions { try kept.write(to: directory) }
        let index = LiveIndex(published: published, dead: Self.deadEntries(of: published, in: kept))
        var recoveredAny = false
        for id in packFiles.subtracting(covered).sorted() {
            if quarantine.holdsWholePack(id) {
                index.markClosed(id)
                recoveredAny = true
                continue
            }
            guard let entries = try Self.recoverPack(id, directory: directory, hasIndex: indexFiles.contains(id)) else { continue }
            for (digest, location) in entries
            where !quarantine.contains(packID: id, offset: location.offset) && !kept.contains(location) {
                index.insert(digest, location)
            }
            index.markClosed(id)
            recoveredAny = true
        }
        // An .idx without its pack is what a removal interrupted between the two unlinks left.
        for id in indexFiles.subtracting(packFiles) {
            try FileSystem.remove(directory.packIndexPath(id))
        }

        self.index = index
        // Past every id a list may still name, so that no new pack takes the id of one gone.
        self.highestPackID = ([packFiles.max(), quarantine.entries.map(\.packID).max(), deletions.packIDs.max()].compactMap { $0 }).max() ?? 0
        self.uploads = try Self.recoverUploads(directory)
        self.deletions = kept
        self.needsPublish = recoveredAny || published == nil || index.hasDeadRecords
    }

    /// The published entries the deletion list names: a crash came between the list's write and
    /// the index's, and they are dead.
    static func deadEntries(of published: IndexFile?, in deletions: DeletionList) -> [RecordPlace: Digest] {
        guard let published else { return [:] }
        return deletions.records.filter { place, digest in published.lookup(digest)?.place == place }
    }

    /// The deletion list of a store written before there was one: every record of a covered pack
    /// that the published index does not point at. The records are read from each pack's `.idx`
    /// (its header for a solo pack), once, when the list is first written.
    static func deriveDeletions(
        _ published: IndexFile?, quarantine: QuarantineList, directory: DataDirectory, indexFiles: Set<UInt64>
    ) throws -> DeletionList {
        guard let published else { return DeletionList() }
        var records: [(Digest, BlobLocation)] = []
        for id in published.coveredPacks where !quarantine.holdsWholePack(id) {
            records += try recoverPack(id, directory: directory, hasIndex: indexFiles.contains(id)) ?? []
        }
        return DeletionList.derived(published: published, records: records)
    }

    /// The entries of one pack the published index does not cover, mending it if it was left
    /// unsealed; nil if the file was an empty pack that never held a record.
    static func recoverPack(_ id: UInt64, directory: DataDirectory, hasIndex: Bool) throws -> [(Digest, BlobLocation)]? {
        let path = directory.packPath(id)
        let file = try SystemFile.open(path, flags: O_RDWR)
        let size = try file.size()
        if size < UInt64(PackHeader.size) {
            // Created, but the header never reached the disk: no record was ever acknowledged in it.
            try FileSystem.remove(path)
            return nil
        }
        let header = try PackHeader(decoding: file.read(count: PackHeader.size, at: 0), path: path)
        guard header.packID == id else { throw BlobStoreError.damaged(path: path, reason: "header names pack \(header.packID)") }

        switch header.kind {
        case .solo:
            let recordBytes = try file.read(count: RecordHeader.size, at: UInt64(PackHeader.size))
            let record: RecordHeader
            do {
                record = try RecordHeader(decoding: recordBytes)
            } catch {
                throw BlobStoreError.damaged(path: path, reason: "\(error)")
            }
            guard record.kind == .blob, let digest = record.digest, UInt64(PackHeader.size) + record.recordLength == size else {
                throw BlobStoreError.damaged(path: path, reason: "solo pack does not hold exactly one blob record")
            }
            return [(digest, BlobLocation(
                packID: id, offset: UInt64(PackHeader.size), storedLength: record.storedLength,
                logicalLength: record.logicalLength, codec: record.codec))]

        case .shared where hasIndex:
            let packIndex = try IndexFile.load(directory.packIndexPath(id))
            guard packIndex.coveredPacks == [id] else {
                throw BlobStoreError.damaged(path: directory.packIndexPath(id), reason: "index does not cover exactly its pack")
            }
            var entries: [(Digest, BlobLocation)] = []
            packIndex.forEach { entries.append(($0, $1)) }
            return entries

        case .shared:
            let scan = try PackScanner(path: path, bytes: file.read(count: Int(size), at: 0))
            var end: UInt64?
            switch scan.outcome {
            case .damaged(let offset, let next, let reason):
                throw BlobStoreError.damaged(path: path, reason: "record at offset \(offset): \(reason), yet a valid record follows at \(next)")
            case .tornTail(let offset, _):
                try file.truncate(to: offset)
                try file.sync()
                end = offset
            case .clean(sealed: false):
                end = size
            case .clean(sealed: true):
                end = nil
            }
            if let end {
                try file.write(RecordEncoder.seal(recordCount: scan.entries.count, at: end), at: end)
                try file.sync()
            }
            try FileSystem.replace(directory.packIndexPath(id), with: IndexFile.encode(entries: scan.entries, coveredPacks: [id]))
            return scan.entries
        }
    }

    /// Upload sessions from their state files. A spool is cut back to the offset its state file
    /// vouches for; a spool without a state file, or a state file without a spool, is removed.
    static func recoverUploads(_ directory: DataDirectory) throws -> [UploadSession] {
        let names = try FileSystem.list(directory.uploads)
        let spools = Set(names.filter { $0.hasSuffix(".spool") }.map { String($0.dropLast(6)) })
        let states = Set(names.filter { $0.hasSuffix(".state") }.map { String($0.dropLast(6)) })
        for orphan in spools.subtracting(states) { try FileSystem.remove(directory.spoolPath(orphan)) }
        for orphan in states.subtracting(spools) { try FileSystem.remove(directory.statePath(orphan)) }

        var sessions: [UploadSession] = []
        for id in spools.intersection(states).sorted() {
            let statePath = directory.statePath(id)
            let stateFile = try SystemFile.openForReading(statePath)
            let state: UploadState
            do {
                state = try UploadState(decoding: stateFile.read(count: Int(stateFile.size()), at: 0), path: statePath)
            } catch {
                // A state file that fails its checksum cannot vouch for any byte: the upload is lost,
                // and the client, told the upload is unknown, starts again.
                try FileSystem.remove(statePath)
                try FileSystem.remove(directory.spoolPath(id))
                continue
            }
            let spool = try SystemFile.open(directory.spoolPath(id), flags: O_RDWR)
            guard try !state.spoolIsShort(spool.size()) else {
                throw BlobStoreError.damaged(path: directory.spoolPath(id), reason: "spool is shorter than its synced offset \(state.offset)")
            }
            // For an upload with no bytes this puts back a head the spool may have lost.
            try spool.truncate(to: state.spoolSize)
            sessions.append(UploadSession(
                id: id, algorithm: state.algorithm, created: state.created, spoolPath: directory.spoolPath(id),
                statePath: statePath, offset: state.offset, progress: nil))
        }
        return sessions
    }
}
