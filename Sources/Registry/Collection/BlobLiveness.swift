import BlobStore
import Synchronization

/// The blobs garbage collection has condemned or is sweeping, kept in memory so that touching a
/// blob costs one lookup unless it is condemned. On one node (SQLite) this process owns the data
/// directory, so this set, not the database, decides the race between a touch and a sweep:
/// - a touch takes a condemned blob off the set before anything acknowledges it, and the sweep
///   only takes blobs still on the set;
/// - a touch of a blob being swept waits until the sweep is over; the blob is then gone from
///   the links and the engine, and the caller sees it as absent (an upload stores it anew).
///
/// `shared` (several nodes on one PostgreSQL database, one of them collecting): the set would not
/// know what another node condemned, so the database decides. A touch reads the digests' rows
/// (one round trip), revives those condemned, and waits while one is being swept: its sweep
/// transaction has unlinked it, and once its node has dropped the bytes the row goes.
public final class BlobLiveness: Sendable {
    private struct State {
        var condemned: Set<Digest>
        var sweeping: Set<Digest> = []
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state: Mutex<State>
    private let metadata: CollectionStore
    let isShared: Bool
    /// How long a touch waits for another node's sweep before it answers busy (503).
    static let sweepWait: Duration = .seconds(30)

    init(metadata: CollectionStore, condemned: Set<Digest>, shared: Bool) {
        self.metadata = metadata
        self.state = Mutex(State(condemned: condemned))
        isShared = shared
    }

    /// Call before acknowledging that any of `digests` exists: a HEAD or GET, a mount, an upload
    /// of a digest the store may hold, a manifest PUT that names them. Revives the condemned ones
    /// durably before it returns.
    func touch(_ digests: [Digest]) async throws {
        if isShared { return try await touchShared(digests) }
        while true {
            let (revived, mustWait) = state.withLock { state -> ([Digest], Bool) in
                if digests.contains(where: state.sweeping.contains) { return ([], true) }
                return (digests.filter { state.condemned.remove($0) != nil }, false)
            }
            guard mustWait else {
                if !revived.isEmpty { try await metadata.revive(revived) }
                return
            }
            await withCheckedContinuation { continuation in
                let waiting = state.withLock { state in
                    guard digests.contains(where: state.sweeping.contains) else { return false }
                    state.waiters.append(continuation)
                    return true
                }
                if !waiting { continuation.resume() }
            }
        }
    }

    private func touchShared(_ digests: [Digest]) async throws {
        let deadline = ContinuousClock.now + Self.sweepWait
        while true {
            let condemned = try await metadata.condemnation(of: digests)
            if condemned.isEmpty { return }
            if condemned.values.allSatisfy({ $0 == nil }) {
                // A sweep may begin in between: the revival then skips that row, and the next
                // round sees it being swept.
                try await metadata.revive(Array(condemned.keys))
                continue
            }
            guard ContinuousClock.now < deadline else {
                throw MetadataError.busy("a blob is being collected on another node")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// Adds to the set before the database, so that a touch in between is never lost.
    func condemn(_ digests: [Digest], at time: Int64) async throws {
        state.withLock { $0.condemned.formUnion(digests) }
        try await metadata.condemn(digests, at: time)
    }

    /// Revives blobs collection found marked again.
    func pardon(_ digests: [Digest]) async throws {
        state.withLock { $0.condemned.subtract(digests) }
        try await metadata.revive(digests)
    }

    /// Moves the digests still condemned to the sweeping set and returns them; nothing touched
    /// them since they were condemned.
    func beginSweep(_ digests: [Digest]) -> [Digest] {
        state.withLock { state in
            let taken = digests.filter { state.condemned.remove($0) != nil }
            state.sweeping.formUnion(taken)
            return taken
        }
    }

    /// Ends a sweep (whether it removed the blobs or failed) and wakes the touches that waited.
    func endSweep(_ digests: [Digest]) {
        let waiters = state.withLock { state in
            state.sweeping.subtract(digests)
            defer { state.waiters.removeAll() }
            return state.waiters
        }
        waiters.forEach { $0.resume() }
    }
}
