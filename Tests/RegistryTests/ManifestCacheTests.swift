import BlobStore
import NIOCore
@testable import Registry
import Testing

@Suite("Manifest cache")
struct ManifestCacheTests {
    static func entry(_ seed: Int, size: Int) -> (Digest, ByteBuffer) {
        let bytes = (0..<size).map { UInt8(truncatingIfNeeded: $0 &+ seed &* 131) }
        return (Digest.of(bytes), ByteBuffer(bytes: bytes))
    }

    @Test func keepsWhatFitsAndDropsTheOldestFirst() {
        let cache = ManifestCache(budget: 800)
        let entries = (0..<10).map { Self.entry($0, size: 100) }
        for (digest, buffer) in entries { cache.insert(buffer, for: digest) }
        #expect(cache[entries[0].0] == nil)
        #expect(cache[entries[1].0] == nil)
        for (digest, buffer) in entries[2...] { #expect(cache[digest] == buffer) }
        // Inserting a digest again neither counts its bytes twice nor makes it younger.
        cache.insert(entries[2].1, for: entries[2].0)
        let next = Self.entry(10, size: 100)
        cache.insert(next.1, for: next.0)
        #expect(cache[entries[2].0] == nil)
        #expect(cache[entries[3].0] != nil)
        #expect(cache[next.0] == next.1)
    }

    @Test func aManifestOverAnEighthOfTheBudgetIsNotKept() {
        let cache = ManifestCache(budget: 800)
        let (small, smallBuffer) = Self.entry(1, size: 100), (large, largeBuffer) = Self.entry(2, size: 101)
        cache.insert(smallBuffer, for: small)
        cache.insert(largeBuffer, for: large)
        #expect(cache[small] != nil)
        #expect(cache[large] == nil)
    }

    @Test func evictionGoesOnPastManyRounds() {
        let cache = ManifestCache(budget: 800)
        let entries = (0..<1000).map { Self.entry($0, size: 50 + $0 % 50) }
        for (digest, buffer) in entries { cache.insert(buffer, for: digest) }
        let kept = entries.filter { cache[$0.0] != nil }
        #expect(kept.map(\.1.readableBytes).reduce(0, +) <= 800)
        #expect(kept.map(\.0) == entries.suffix(kept.count).map(\.0), "the newest entries, and only they, stay")
    }
}
