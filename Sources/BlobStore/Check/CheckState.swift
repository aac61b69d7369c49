/// What one run of `StoreChecker` has read and found so far; each step adds findings and marks
/// records bad, and `report` turns it into what callers and the repair get.
struct CheckState {
    let directory: DataDirectory
    /// A live server holds the directory: its open shared pack may end in a record being written.
    let holder: LockHolder?
    var findings: [StoreFinding] = []
    var statistics = StoreReport.Statistics()
    var quarantine = QuarantineList()
    /// Records collection deleted (docs/FORMAT.md, "Deletion list"): not a problem, not a copy.
    var deletions = DeletionList()
    /// The list was missing or unreadable and `deletions` was derived from the published index:
    /// a repair writes it.
    var deletionsDerived = false
    var packIDs: [UInt64] = []
    var packIndexIDs: Set<UInt64> = []
    var published: IndexFile?
    /// The published index exists but could not be read.
    var publishedDamaged = false
    var walks: [UInt64: PackWalker] = [:]
    /// Records that framed correctly but failed a payload check.
    var badRecords: [RecordKey: StoreFinding.Kind] = [:]
    /// What the index files say stands at each place, to name the blob a damaged span held.
    var indexed: [RecordKey: Digest] = [:]
    var uploadsToDrop: [String] = []
    /// Packs that could not be read at all (an I/O error, not damage): a repair must not guess.
    var unreadablePacks: [UInt64: String] = [:]

    typealias RecordKey = RecordPlace

    init(directory: DataDirectory, holder: LockHolder?) {
        self.directory = directory
        self.holder = holder
    }

    private func relative(_ path: String) -> String {
        path.hasPrefix(directory.root + "/") ? String(path.dropFirst(directory.root.count + 1)) : path
    }

    private func packPath(_ id: UInt64) -> String { relative(directory.packPath(id)) }

    mutating func add(_ kind: StoreFinding.Kind, _ path: String, pack: UInt64? = nil, offset: UInt64? = nil,
                      digest: Digest? = nil, _ message: String) {
        findings.append(StoreFinding(kind: kind, path: relative(path), packID: pack, offset: offset, digest: digest, message: message))
    }

    // MARK: Files

    mutating func loadFiles() throws {
        do {
            quarantine = try QuarantineList.load(directory)
        } catch {
            add(.quarantineDamaged, directory.quarantine, "\(error)")
        }
        for name in try FileSystem.list(directory.packs) {
            guard let (id, ext) = DataDirectory.parsePackFileName(name) else { continue }
            if ext == "pack" { packIDs.append(id) } else if ext == "idx" { packIndexIDs.insert(id) }
        }
        packIDs.sort()
        if FileSystem.exists(directory.publishedIndex) {
            do {
                published = try IndexFile.load(directory.publishedIndex)
            } catch {
                publishedDamaged = true
                add(.indexDamaged, directory.publishedIndex, "published index is unreadable: \(error)")
            }
        } else if !packIDs.isEmpty {
            add(.indexMissing, directory.publishedIndex, "published index is missing; the server rebuilds it from the packs when it opens them")
        }
        published?.forEach { digest, location in indexed[RecordKey(packID: location.packID, offset: location.offset)] = digest }
        statistics.packs = packIDs.count
        loadDeletions()
    }

    /// Read after the published index: a server publishing meanwhile writes the list first, so
    /// the list read is at least as new as the index, and a record the index lacks is named.
    private mutating func loadDeletions() {
        do {
            if let list = try DeletionList.load(directory) { deletions = list } else { deletionsDerived = true }
        } catch {
            deletionsDerived = true
            add(.deletionListDamaged, directory.deletionList,
                "\(error); the records the published index leaves out are taken for deleted, and a repair writes the list again")
        }
    }

    private var covered: Set<UInt64> { Set(published?.coveredPacks ?? []) }

    /// The pack was sealed once: a published index covers it or it has its own `.idx`.
    func wasSealed(_ id: UInt64) -> Bool {
        covered.contains(id) || packIndexIDs.contains(id)
    }

    // MARK: Framing

    mutating func checkFraming() {
        for id in covered.subtracting(packIDs).sorted() {
            var lost = 0
            published?.forEach { _, location in if location.packID == id { lost += 1 } }
            add(.missingPack, directory.packPath(id), pack: id,
                "pack is listed in the published index but missing; \(lost) blob(s) indexed in it are lost")
        }
        for id in packIDs {
            let path = directory.packPath(id)
            do {
                let walk = try PackWalker(file: SystemFile.openForReading(path), packID: id)
                walks[id] = walk
                statistics.records += walk.records.count
                statistics.storedBytes += walk.size
                report(walk)
            } catch BlobStoreError.damaged(_, let reason) {
                if !quarantine.holdsWholePack(id) { add(.packHeader, path, pack: id, "pack header is unusable: \(reason)") }
            } catch {
                unreadablePacks[id] = "\(error)"
                add(.unreadable, path, pack: id, "\(error)")
            }
        }
    }

    /// For a store without a readable deletion list: what collection deleted is what the
    /// published index leaves out of the packs it covers (the list's own rule, docs/FORMAT.md).
    mutating func deriveDeletions() {
        guard deletionsDerived, let published else { return }
        deletions = DeletionList.derived(published: published, records: walks.values.flatMap(\.entries))
    }

    func isDead(_ location: BlobLocation) -> Bool {
        deletions.contains(location)
    }

    private mutating func report(_ walk: PackWalker) {
        let id = walk.packID
        let path = directory.packPath(id)
        for damage in walk.damage where !quarantine.contains(packID: id, offset: damage.offset) {
            let digest = damage.header?.digest ?? indexed[RecordKey(packID: id, offset: damage.offset)]
            add(damage.kind, path, pack: id, offset: damage.offset, digest: digest,
                "\(damage.reason); \(damage.end - damage.offset) bytes up to offset \(damage.end) are unusable")
        }
        switch walk.ending {
        case .sealed:
            break
        case .unsealed:
            if walk.kind == .shared && wasSealed(id) {
                add(.truncatedPack, path, pack: id, offset: walk.size, "the pack was sealed, but its seal record is missing: the file was truncated")
            }
        case .cut(let offset, let reason):
            guard !quarantine.contains(packID: id, offset: offset) else { break }
            let digest = indexed[RecordKey(packID: id, offset: offset)]
            if walk.kind == .solo || wasSealed(id) {
                add(.truncatedPack, path, pack: id, offset: offset, digest: digest,
                    "pack is truncated: \(reason); the \(walk.size - offset) bytes from here on hold no whole record")
            } else if holder == nil {
                add(.tornTail, path, pack: id, offset: offset, digest: digest,
                    "torn tail of an unsealed pack: \(reason); \(walk.size - offset) bytes after the last whole record")
            }
        }
        let blobs = walk.records.filter { $0.header.kind == .blob }.count
        if walk.kind == .solo && blobs > 1 {
            add(.packHeader, path, pack: id, "solo pack holds \(blobs) blob records instead of one")
        }
    }

    // MARK: Index files

    mutating func checkPackIndexes() {
        for id in packIndexIDs.sorted() {
            let path = directory.packIndexPath(id)
            guard let walk = walks[id] else { continue }
            let file: IndexFile
            do {
                file = try IndexFile.load(path)
            } catch {
                add(.indexDamaged, path, pack: id, "pack index is unreadable: \(error)")
                continue
            }
            file.forEach { digest, location in indexed[RecordKey(packID: location.packID, offset: location.offset)] = digest }
            guard file.coveredPacks == [id] else {
                add(.indexDamaged, path, pack: id, "pack index covers packs \(file.coveredPacks) instead of its own pack only")
                continue
            }
            var entries: [RecordKey: BlobLocation] = [:]
            file.forEach { _, location in entries[RecordKey(packID: id, offset: location.offset)] = location }
            // An index lists a digest once: where two pushes of a blob raced into the pack, the
            // first record stands for both (the second is a dead copy).
            var seen = Set<Digest>()
            let records = Dictionary(
                walk.entries.filter { !quarantine.contains(packID: id, offset: $0.1.offset) && seen.insert($0.0).inserted }
                    .map { ($0.1.place, $0.1) }
            ) { first, _ in first }
            if entries != records {
                add(.indexDamaged, path, pack: id,
                    "pack index lists \(entries.count) record(s) that do not match the \(records.count) whole record(s) in the pack")
            }
        }
    }

    mutating func checkPublishedIndex() {
        guard let published else { return }
        var byPack: [UInt64: [(Digest, BlobLocation)]] = [:]
        // An entry the deletion list names is one a crash left between the list's write and the
        // index's: dead, whatever stands there.
        published.forEach { digest, location in
            if !isDead(location) { byPack[location.packID, default: []].append((digest, location)) }
        }
        for (id, entries) in byPack.sorted(by: { $0.key < $1.key }) {
            guard let walk = walks[id] else { continue }
            let path = directory.packPath(id)
            let records = Dictionary(walk.records.map { ($0.offset, $0) }) { first, _ in first }
            var previousEnd: UInt64 = 0
            for (digest, location) in entries.sorted(by: { $0.1.offset < $1.1.offset }) {
                let blocks = RecordHeader.blockCount(storedLength: location.storedLength, blockShift: RecordHeader.defaultBlockShift)
                let end = location.offset + UInt64(RecordHeader.size) + location.storedLength + UInt64(8 * blocks)
                if location.offset < previousEnd {
                    add(.entryOverlap, directory.publishedIndex, pack: id, offset: location.offset, digest: digest,
                        "index entry overlaps the entry before it, which ends at offset \(previousEnd) of \(relative(path))")
                }
                previousEnd = Swift.max(previousEnd, end)
                if end > walk.size {
                    add(.entryPastEnd, directory.publishedIndex, pack: id, offset: location.offset, digest: digest,
                        "index entry points past the end of \(relative(path)) (\(walk.size) bytes): its record would end at \(end)")
                } else if let record = records[location.offset] {
                    if !matches(record, digest, location) {
                        add(.entryMismatch, directory.publishedIndex, pack: id, offset: location.offset, digest: digest,
                            "index entry does not match the record at offset \(location.offset) of \(relative(path)) (\(record.header.digest.map { "\($0)" } ?? "a seal"), \(record.header.logicalLength) bytes)")
                    }
                } else if quarantine.contains(packID: id, offset: location.offset) {
                    add(.entryMismatch, directory.publishedIndex, pack: id, offset: location.offset, digest: digest,
                        "index entry names a quarantined record")
                } else if !walk.damage.contains(where: { $0.offset == location.offset }) && !isCut(walk, at: location.offset) {
                    add(.entryMismatch, directory.publishedIndex, pack: id, offset: location.offset, digest: digest,
                        "index entry lands on no record boundary of \(relative(path))")
                }
            }
        }
        for id in Set(published.coveredPacks).sorted() {
            guard let walk = walks[id] else { continue }
            for (digest, location) in walk.entries
            where published.lookup(digest) == nil && !quarantine.contains(packID: id, offset: location.offset) && !isDead(location) {
                add(.unindexedRecord, directory.packPath(id), pack: id, offset: location.offset, digest: digest,
                    "whole record in a pack the published index covers, but the index does not list its blob")
            }
        }
    }

    private func isCut(_ walk: PackWalker, at offset: UInt64) -> Bool {
        if case .cut(let cut, _) = walk.ending { return offset >= cut }
        return false
    }

    private func matches(_ record: PackWalker.Record, _ digest: Digest, _ location: BlobLocation) -> Bool {
        record.header.kind == .blob && record.header.digest == digest && record.header.storedLength == location.storedLength
            && record.header.logicalLength == location.logicalLength && record.header.codec == location.codec
    }

    // MARK: Payloads

    mutating func payloadFailed(_ packID: UInt64, _ record: PackWalker.Record, kind: StoreFinding.Kind, message: String) {
        badRecords[RecordKey(packID: packID, offset: record.offset)] = kind
        add(kind, directory.packPath(packID), pack: packID, offset: record.offset, digest: record.header.digest, message)
    }

    // MARK: Uploads

    mutating func checkUploads() {
        guard let names = try? FileSystem.list(directory.uploads) else { return }
        for name in names.sorted() where name.hasSuffix(".state") {
            let id = String(name.dropLast(6))
            let statePath = directory.statePath(id)
            do {
                let state = try UploadState.load(statePath)
                let spool = try SystemFile.openForReading(directory.spoolPath(id))
                if try state.spoolIsShort(spool.size()) {
                    uploadsToDrop.append(id)
                    add(.uploadState, directory.spoolPath(id), "upload spool is shorter than the \(state.offset) bytes its state file vouches for")
                }
            } catch {
                uploadsToDrop.append(id)
                add(.uploadState, statePath, "upload \(id) cannot be resumed: \(error)")
            }
        }
    }

    // MARK: Result

    /// Every whole record that passed the level's checks and is not quarantined, by digest; the
    /// published index's choice first when a blob is stored twice.
    func goodLocations() -> [Digest: BlobLocation] {
        var good: [Digest: BlobLocation] = [:]
        for walk in walks.values {
            for (digest, location) in walk.entries {
                let key = RecordKey(packID: walk.packID, offset: location.offset)
                guard badRecords[key] == nil, !quarantine.contains(packID: walk.packID, offset: location.offset), !isDead(location)
                else { continue }
                if good[digest] == nil || published?.lookup(digest) == location { good[digest] = location }
            }
        }
        return good
    }

    func report(level: CheckLevel) -> StoreReport {
        let good = goodLocations()
        // Blobs whose only records collection deleted are not lost: they are gone on purpose.
        var known = Set(indexed.filter { !deletions.contains($0.key) }.values)
        for walk in walks.values {
            for damage in walk.damage where !deletions.contains(RecordPlace(packID: walk.packID, offset: damage.offset)) {
                if let digest = damage.header?.digest { known.insert(digest) }
            }
            for (digest, location) in walk.entries where !isDead(location) { known.insert(digest) }
        }
        var statistics = statistics
        statistics.blobs = good.count
        statistics.deleted = walks.values.reduce(0) { $0 + $1.entries.filter { isDead($0.1) }.count }
        statistics.quarantined = quarantine.entries.count
        return StoreReport(
            level: level, findings: findings, lost: known.filter { good[$0] == nil }.sorted(),
            contents: StoreContents(directory: directory, locations: good), statistics: statistics, holder: holder, state: self)
    }
}
