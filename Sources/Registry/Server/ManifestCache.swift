import BlobStore
import Synchronization

/// Manifest bytes kept in memory by digest, so that the hottest request of a registry (a manifest
/// GET) skips the pack read and its verification. Content-addressed, so an entry never goes
/// stale; visibility is still decided by the metadata lookup that precedes every use. Oldest
/// entries are evicted first once the byte budget is spent.
final class ManifestCache: Sendable {
    private struct State {
        var entries: [Digest: [UInt8]] = [:]
        var order: [Digest] = []
        var bytes = 0
    }

    private let state = Mutex(State())
    let capacity: Int

    init(capacity: Int) {
        self.capacity = capacity
    }

    func get(_ digest: Digest) -> [UInt8]? {
        state.withLock { $0.entries[digest] }
    }

    func put(_ digest: Digest, _ bytes: [UInt8]) {
        guard bytes.count <= capacity / 8 else { return }
        state.withLock { state in
            guard state.entries[digest] == nil else { return }
            state.entries[digest] = bytes
            state.order.append(digest)
            state.bytes += bytes.count
            while state.bytes > capacity, !state.order.isEmpty {
                let oldest = state.order.removeFirst()
                state.bytes -= state.entries.removeValue(forKey: oldest)?.count ?? 0
            }
        }
    }
}
