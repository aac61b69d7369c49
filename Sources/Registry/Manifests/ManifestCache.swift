import BlobStore
import NIOCore
import Synchronization

/// Manifests' bytes by digest, kept in memory up to a byte budget, oldest entry out first.
/// Reading a manifest from its pack is an open and three checked reads, a sixth of a manifest
/// GET. An entry can never be stale, since the digest names the bytes; whether a manifest may be
/// served is still decided by the metadata on every request, the cache only saves the read.
final class ManifestCache: Sendable {
    private struct Entries {
        var buffers: [Digest: ByteBuffer] = [:]
        /// Digests in the order they came in; those before `head` have been evicted.
        var order: [Digest] = []
        var head = 0
        var bytes = 0
    }

    /// A manifest larger than this share of the budget is not kept: it would push out many.
    private static let largestShare = 8

    let budget: Int
    private let entries = Mutex(Entries())

    init(budget: Int) {
        self.budget = budget
    }

    subscript(digest: Digest) -> ByteBuffer? {
        entries.withLock { $0.buffers[digest] }
    }

    func insert(_ buffer: ByteBuffer, for digest: Digest) {
        guard buffer.readableBytes <= budget / Self.largestShare else { return }
        entries.withLock { entries in
            guard entries.buffers.updateValue(buffer, forKey: digest) == nil else { return }
            entries.order.append(digest)
            entries.bytes += buffer.readableBytes
            while entries.bytes > budget {
                let oldest = entries.order[entries.head]
                entries.head += 1
                entries.bytes -= entries.buffers.removeValue(forKey: oldest)?.readableBytes ?? 0
            }
            // Evicted digests are dropped from the front once they are half the list, so the
            // list stays within twice the entries and compacting costs O(1) per insert.
            if entries.head > entries.order.count / 2 {
                entries.order.removeFirst(entries.head)
                entries.head = 0
            }
        }
    }
}
