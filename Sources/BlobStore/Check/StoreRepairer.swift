#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Brings a checked store back to one the server opens (docs/FORMAT.md, "Quarantine list"): bad
/// records are quarantined, a shared pack whose end was lost is cut after its last whole record
/// and sealed, uploads that cannot resume are dropped, and the packs' `.idx` files and the
/// published index are rebuilt from the records. Nothing that verifies is deleted.
public enum StoreRepairer {
    public struct Outcome: Sendable, Codable, Equatable {
        public struct Quarantined: Sendable, Codable, Equatable {
            public var path: String
            public var offset: UInt64
            public var digest: Digest?
            public var reason: String
        }

        public var quarantined: [Quarantined] = []
        /// Shared packs cut after their last whole record and sealed, and where.
        public var cut: [String] = []
        public var packIndexesWritten: [String] = []
        public var publishedIndexWritten = false
        public var deletionListWritten = false
        public var uploadsDropped: [String] = []

        public var isEmpty: Bool {
            quarantined.isEmpty && cut.isEmpty && packIndexesWritten.isEmpty && !publishedIndexWritten && !deletionListWritten
                && uploadsDropped.isEmpty
        }
    }

    /// Repairs what `report` found. The caller holds `lock` and made the report while holding it.
    public static func repair(_ report: StoreReport, lock: StoreLock) async throws -> Outcome {
        let state = report.state
        precondition(state.directory.root == lock.directory.root, "the lock is of another data directory")
        return try await BlockingIO.run { try repair(state) }
    }

    private static func repair(_ state: CheckState) throws -> Outcome {
        let directory = state.directory
        if let (id, error) = state.unreadablePacks.min(by: { $0.key < $1.key }) {
            throw CheckError(description: "cannot repair: \(directory.packPath(id)) cannot be read (\(error)); make it readable first")
        }
        var outcome = Outcome()
        let additions = quarantineEntries(state)
        for entry in additions {
            outcome.quarantined.append(Outcome.Quarantined(
                path: "packs/pack-\(DataDirectory.hex(entry.packID)).pack", offset: entry.offset, digest: entry.digest,
                reason: "\(entry.reason)"))
        }
        let quarantine = state.quarantine.adding(additions).keeping(packs: Set(state.packIDs))
        if quarantine != state.quarantine || !additions.isEmpty {
            try FileSystem.replace(directory.quarantine, with: quarantine.encoded())
        }

        for id in state.uploadsToDrop {
            try FileSystem.remove(directory.statePath(id))
            try FileSystem.remove(directory.spoolPath(id))
            outcome.uploadsDropped.append(id)
        }

        var published: [(Digest, BlobLocation)] = []
        for id in state.packIDs {
            guard let walk = state.walks[id] else { continue }
            if walk.kind == .shared, let end = try seal(walk) {
                outcome.cut.append("packs/pack-\(DataDirectory.hex(id)).pack at offset \(end)")
            }
            let entries = walk.entries.filter { entry in
                let key = CheckState.RecordKey(packID: id, offset: entry.1.offset)
                return state.badRecords[key] == nil && !quarantine.contains(packID: id, offset: entry.1.offset)
            }
            if walk.kind == .shared,
               try replaceIfChanged(directory.packIndexPath(id), with: IndexFile.encode(entries: entries, coveredPacks: [id]))
            {
                outcome.packIndexesWritten.append("packs/pack-\(DataDirectory.hex(id)).idx")
            }
            // What collection deleted stays deleted: the rebuild takes only live records.
            published.append(contentsOf: entries.filter { !state.isDead($0.1) })
        }
        // The list before the index, as a publication writes them (docs/FORMAT.md, "Deletion list").
        let deletions = state.deletions.keeping(packs: Set(state.packIDs))
        if state.deletionsDerived || deletions != state.deletions {
            try deletions.write(to: directory)
            outcome.deletionListWritten = true
        }
        // Where a blob is stored twice, the copy the old index served stays the one served:
        // encoding keeps the first entry of a digest.
        if let old = state.published {
            let served = published.filter { old.lookup($0.0) == $0.1 }
            published = served + published.filter { old.lookup($0.0) != $0.1 }
        }
        outcome.publishedIndexWritten = try replaceIfChanged(
            directory.publishedIndex, with: IndexFile.encode(entries: published, coveredPacks: state.packIDs))
        return outcome
    }

    /// Every damaged span and bad record not quarantined yet; a solo pack's whole record.
    private static func quarantineEntries(_ state: CheckState) -> [QuarantineList.Entry] {
        var entries: [QuarantineList.Entry] = []
        func add(_ packID: UInt64, _ offset: UInt64, _ length: UInt64, _ reason: QuarantineList.Reason, _ digest: Digest?) {
            guard !state.quarantine.contains(packID: packID, offset: offset) else { return }
            // A pack whose own header is unreadable goes out of service whole, like a solo pack.
            let solo = state.walks[packID].map { $0.kind == .solo } ?? true
            let named = digest ?? state.indexed[CheckState.RecordKey(packID: packID, offset: offset)]
            entries.append(QuarantineList.Entry(
                packID: packID, offset: offset, length: length, reason: reason, wholePack: solo, digest: named))
        }
        for id in state.packIDs {
            guard let walk = state.walks[id] else {
                // The pack header itself is unreadable: nothing in the file can be trusted or found.
                add(id, 0, 0, .framing, nil)
                continue
            }
            for damage in walk.damage {
                add(id, damage.offset, damage.end - damage.offset, damage.kind == .blockTable ? .blockTable : .framing, damage.header?.digest)
            }
            if case .cut(let offset, _) = walk.ending, walk.kind == .solo {
                add(id, offset, walk.size - offset, .truncated, nil)
            }
            for record in walk.records {
                guard let kind = state.badRecords[CheckState.RecordKey(packID: id, offset: record.offset)] else { continue }
                add(id, record.offset, record.header.recordLength, reason(kind), record.header.digest)
            }
        }
        return entries
    }

    private static func reason(_ kind: StoreFinding.Kind) -> QuarantineList.Reason {
        switch kind {
        case .digestMismatch: .digestMismatch
        case .undecodable: .undecodable
        case .truncatedPack: .truncated
        default: .payloadChecksum
        }
    }

    /// Seals a shared pack that has no seal, cutting it first after its last whole record as
    /// opening does; returns where the seal went, or nil if the pack was sealed.
    private static func seal(_ walk: PackWalker) throws -> UInt64? {
        let end: UInt64
        switch walk.ending {
        case .sealed: return nil
        case .unsealed: end = walk.size
        case .cut(let offset, _): end = offset
        }
        let file = try SystemFile.open(walk.path, flags: O_RDWR)
        try file.truncate(to: end)
        try file.write(RecordEncoder.seal(recordCount: walk.entries.count, at: end), at: end)
        try file.sync()
        return end
    }

    /// Replaces the file unless it already holds exactly `bytes`; returns whether it wrote.
    private static func replaceIfChanged(_ path: String, with bytes: [UInt8]) throws -> Bool {
        if let file = try? SystemFile.openForReading(path), let size = try? file.size(), size == UInt64(bytes.count),
           (try? file.read(count: bytes.count, at: 0)) == bytes
        {
            return false
        }
        try FileSystem.replace(path, with: bytes)
        return true
    }
}
