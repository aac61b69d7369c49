import BlobStore
import NIOCore
import Synchronization

/// Values by digest, kept in memory up to a budget of bytes, oldest entry out first: manifests'
/// bytes (reading one from its pack is an open and three checked reads, a sixth of a manifest
/// GET), and in a cluster the object store's index rows and small blobs. An entry can never be
/// stale, since the digest names the bytes; whether a blob may be served is still decided by the
/// metadata on every request, the cache only saves the read.
final class DigestCache<Value: Sendable>: Sendable {
    private struct Entries {
        var values: [Digest: Value] = [:]
        /// Digests in the order they came in; those before `head` have been evicted.
        var order: [Digest] = []
        var head = 0
        var bytes = 0
    }

    /// A value larger than this share of the budget is not kept: it would push out many.
    private static var largestShare: Int { 8 }

    let budget: Int
    private let cost: @Sendable (Value) -> Int
    private let entries = Mutex(Entries())

    init(budget: Int, cost: @escaping @Sendable (Value) -> Int) {
        self.budget = budget
        self.cost = cost
    }

    subscript(digest: Digest) -> Value? {
        entries.withLock { $0.values[digest] }
    }

    func insert(_ value: Value, for digest: Digest) {
        let size = cost(value)
        guard size <= budget / Self.largestShare else { return }
        entries.withLock { entries in
            guard entries.values.updateValue(value, forKey: digest) == nil else { return }
            entries.order.append(digest)
            entries.bytes += size
            while entries.bytes > budget {
                let oldest = entries.order[entries.head]
                entries.head += 1
                entries.bytes -= entries.values.removeValue(forKey: oldest).map(cost) ?? 0
            }
            // Evicted digests are dropped from the front once they are half the list, so the
            // list stays within twice the entries and compacting costs O(1) per insert.
            if entries.head > entries.order.count / 2 {
                entries.order.removeFirst(entries.head)
                entries.head = 0
            }
        }
    }

    /// Forgets `digest` (its blob was deleted).
    func remove(_ digest: Digest) {
        // Its place in `order` stays; eviction skips a digest no longer in `values`.
        entries.withLock { entries in
            if let value = entries.values.removeValue(forKey: digest) { entries.bytes -= cost(value) }
        }
    }
}

/// Manifests' bytes, as GETs send them.
typealias ManifestCache = DigestCache<ByteBuffer>

extension DigestCache where Value == ByteBuffer {
    convenience init(budget: Int) {
        self.init(budget: budget, cost: \.readableBytes)
    }
}
