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
    }

    private let state: Mutex<State>

    init(published: IndexFile?) {
        state = Mutex(State(published: published))
    }

    func lookup(_ digest: Digest) -> BlobLocation? {
        state.withLock { state in
            state.overlay[digest] ?? state.published?.lookup(digest)
        }
    }

    /// Adds an entry unless the digest is already indexed; returns the location in force.
    @discardableResult
    func insert(_ digest: Digest, _ location: BlobLocation) -> BlobLocation {
        state.withLock { state in
            if let existing = state.overlay[digest] ?? state.published?.lookup(digest) { return existing }
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

    var published: IndexFile? { state.withLock { $0.published } }

    /// What the next published index is built from: the current file and the overlay's entries
    /// of packs that are no longer written to. Building happens outside the lock.
    func nextPublication() -> (published: IndexFile?, merged: [Digest: BlobLocation], packs: Set<UInt64>) {
        state.withLock { state in
            let merged = state.overlay.filter { !state.openPacks.contains($0.value.packID) }
            return (state.published, merged, state.closedPacks.union(merged.values.map(\.packID)))
        }
    }

    /// Swaps in a newly published file and drops the overlay entries it now holds.
    func didPublish(_ file: IndexFile, merged: [Digest: BlobLocation], packs: Set<UInt64>) {
        state.withLock { state in
            state.published = file
            state.closedPacks.subtract(packs)
            for (digest, location) in merged where state.overlay[digest] == location {
                state.overlay[digest] = nil
            }
        }
    }

    /// Every indexed blob.
    func all() -> [BlobInfo] {
        state.withLock { state in
            var blobs: [BlobInfo] = state.overlay.map { BlobInfo(digest: $0.key, location: $0.value) }
            state.published?.forEach { digest, location in
                if state.overlay[digest] == nil { blobs.append(BlobInfo(digest: digest, location: location)) }
            }
            return blobs
        }
    }

    /// Closed packs waiting for the next publication.
    var pendingClosedPacks: Int { state.withLock { $0.closedPacks.count } }
}
