import Synchronization

/// The index of a running store: the published index file plus an in-memory overlay of what was
/// committed since. Lookups take a short lock and never touch the disk.
final class LiveIndex: Sendable {
    struct State: Sendable {
        var published: IndexFile?
        /// Entries not in `published`: from solo packs, sealed packs not yet merged, and the open
        /// shared pack.
        var overlay: [Digest: BlobLocation] = [:]
        /// Shared packs still being appended to; their entries stay out of the published index
        /// until they are sealed, because a pack that is still open is recovered by a scan.
        var openPacks: Set<UInt64> = []
        /// Packs that will never change again (sealed shared packs, solo packs) but that the
        /// published index does not cover yet, even if none of their entries is new.
        var closedPacks: Set<UInt64> = []
        /// Records the index stopped pointing at, or never took, since the last publication:
        /// removed by garbage collection, moved by compaction, or a second copy of a blob that
        /// was already indexed. By place, not digest: a blob removed, pushed again and removed
        /// again is two records. A lookup skips a published entry named here; the next
        /// publication names them in the deletion list, then leaves them out of the file.
        var dead: [RecordPlace: Digest] = [:]
        /// Packs the next publication stops covering, because nothing in them is indexed any more.
        var retiredPacks: Set<UInt64> = []

        func lookup(_ digest: Digest) -> BlobLocation? {
            if let location = overlay[digest] { return location }
            guard let location = published?.lookup(digest), dead[location.place] == nil else { return nil }
            return location
        }
    }

    private let state: Mutex<State>

    /// `dead`: published entries the deletion list names (a crash came between the list's
    /// write and the index's), left out from the start.
    init(published: IndexFile?, dead: [RecordPlace: Digest] = [:]) {
        state = Mutex(State(published: published, dead: dead))
    }

    func lookup(_ digest: Digest) -> BlobLocation? {
        state.withLock { $0.lookup(digest) }
    }

    /// Adds an entry unless the digest is already indexed; returns the location in force.
    @discardableResult
    func insert(_ digest: Digest, _ location: BlobLocation) -> BlobLocation {
        state.withLock { state in
            if let existing = state.lookup(digest) {
                // A second copy (two pushes of the blob raced, or an uncovered pack holds one):
                // dead from the start, so that no rebuild takes it once the first one goes.
                if existing != location { state.dead[location.place] = digest }
                return existing
            }
            state.overlay[digest] = location
            return location
        }
    }

    func markOpen(_ packID: UInt64) {
        _ = state.withLock { $0.openPacks.insert(packID) }
    }

    /// The pack will never change again: its entries may be published.
    func markClosed(_ packID: UInt64) {
        state.withLock { state in
            state.openPacks.remove(packID)
            state.closedPacks.insert(packID)
        }
    }

    /// Drops the digest from the index; returns where it was, or nil if it was not indexed.
    func remove(_ digest: Digest) -> BlobLocation? {
        state.withLock { state in
            guard let location = state.lookup(digest) else { return nil }
            state.overlay[digest] = nil
            // Dead even as an overlay entry: a publication that took its snapshot before this
            // removal may still be writing the entry into the next published index.
            state.dead[location.place] = digest
            return location
        }
    }

    /// Points the digest at its copy, if it is still where compaction found it; returns whether
    /// it moved. Either the old record or the copy is dead.
    @discardableResult
    func relocate(_ digest: Digest, from old: BlobLocation, to new: BlobLocation) -> Bool {
        state.withLock { state in
            guard state.lookup(digest) == old else {
                // Removed (or moved) while it was being copied: the copy holds nothing indexed.
                state.dead[new.place] = digest
                return false
            }
            state.overlay[digest] = new
            // Whether `old` is published yet or only on its way there (see `remove`).
            state.dead[old.place] = digest
            return true
        }
    }

    /// The packs will hold nothing indexed: the next publication stops covering them, and their
    /// files may go once it is on disk.
    func retire(_ packs: Set<UInt64>) {
        state.withLock { state in
            state.retiredPacks.formUnion(packs)
            state.closedPacks.subtract(packs)
        }
    }

    var published: IndexFile? { state.withLock { $0.published } }

    struct Publication: Sendable {
        let published: IndexFile?
        /// Overlay entries of packs that are no longer written to.
        let merged: [Digest: BlobLocation]
        /// Records to name in the deletion list, and to leave out of the file.
        let dead: [RecordPlace: Digest]
        let closedPacks: Set<UInt64>
        let retiredPacks: Set<UInt64>

        var isEmpty: Bool { published != nil && closedPacks.isEmpty && dead.isEmpty && retiredPacks.isEmpty }

        /// The index file this publication makes: the published entries it does not leave out,
        /// the merged ones, and every pack it covers.
        func encoded() -> [UInt8] {
            var entries: [(Digest, BlobLocation)] = []
            entries.reserveCapacity((published?.count ?? 0) + merged.count)
            published?.forEach { digest, location in
                if dead[location.place] == nil { entries.append((digest, location)) }
            }
            entries.append(contentsOf: merged.map { ($0.key, $0.value) })
            let packs = closedPacks.union(published?.coveredPacks ?? []).subtracting(retiredPacks)
            return IndexFile.encode(entries: entries, coveredPacks: packs.sorted())
        }
    }

    /// What the next published index is built from: the current file, the overlay's entries of
    /// packs that are no longer written to, and what was removed since. Building happens outside
    /// the lock.
    func nextPublication() -> Publication {
        state.withLock { state in
            let merged = state.overlay.filter { !state.openPacks.contains($0.value.packID) }
            return Publication(
                published: state.published, merged: merged, dead: state.dead,
                closedPacks: state.closedPacks.union(merged.values.map(\.packID)), retiredPacks: state.retiredPacks)
        }
    }

    /// Swaps in a newly published file and drops the overlay entries, dead records and retired
    /// packs it now accounts for.
    func didPublish(_ file: IndexFile, _ publication: Publication) {
        state.withLock { state in
            state.published = file
            state.closedPacks.subtract(publication.closedPacks)
            state.retiredPacks.subtract(publication.retiredPacks)
            for (digest, location) in publication.merged where state.overlay[digest] == location {
                state.overlay[digest] = nil
            }
            for (place, digest) in publication.dead where state.dead[place] == digest {
                state.dead[place] = nil
            }
        }
    }

    /// Every indexed blob.
    func all() -> [BlobInfo] {
        entries().map { BlobInfo(digest: $0.0, location: $0.1) }
    }

    /// Every indexed blob with its location. The lock is held only to take the (copy-on-write)
    /// state: walking a million entries must not stall the lookups of requests.
    func entries() -> [(Digest, BlobLocation)] {
        let state = state.withLock { $0 }
        var entries: [(Digest, BlobLocation)] = state.overlay.map { ($0.key, $0.value) }
        entries.reserveCapacity(state.overlay.count + (state.published?.count ?? 0))
        state.published?.forEach { digest, location in
            if state.overlay[digest] == nil, state.dead[location.place] == nil { entries.append((digest, location)) }
        }
        return entries
    }

    /// The entries of the shared packs still being appended to; they are all in the overlay,
    /// since a pack's entries are published only once it is closed.
    func openPackEntries() -> [(Digest, BlobLocation)] {
        state.withLock { state in
            state.overlay.filter { state.openPacks.contains($0.value.packID) }.map { ($0.key, $0.value) }
        }
    }

    /// Shared packs still being appended to.
    var openPacks: Set<UInt64> { state.withLock { $0.openPacks } }

    /// Packs that will never change again: covered by the published index, or closed since.
    var closedPacks: Set<UInt64> {
        state.withLock { $0.closedPacks.union($0.published?.coveredPacks ?? []).subtracting($0.retiredPacks) }
    }

    /// Whether records wait to be named in the deletion list and left out of the published index.
    var hasDeadRecords: Bool { state.withLock { !$0.dead.isEmpty } }

    /// Closed packs waiting for the next publication.
    var pendingClosedPacks: Int { state.withLock { $0.closedPacks.count } }
}
