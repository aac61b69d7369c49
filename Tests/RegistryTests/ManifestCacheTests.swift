import BlobStore
@testable import Registry
import Testing

@Suite("Manifest cache")
struct ManifestCacheTests {
    @Test func keepsWithinItsBudgetEvictingTheOldest() {
        let cache = ManifestCache(capacity: 800)
        let blobs = (0..<10).map { [UInt8](repeating: UInt8($0), count: 100) }
        for blob in blobs { cache.put(Digest.of(blob), blob) }
        #expect(cache.get(Digest.of(blobs[0])) == nil)
        #expect(cache.get(Digest.of(blobs[1])) == nil)
        for blob in blobs[2...] { #expect(cache.get(Digest.of(blob)) == blob) }
        // An entry larger than an eighth of the budget is not cached at all.
        let large = [UInt8](repeating: 9, count: 101)
        cache.put(Digest.of(large), large)
        #expect(cache.get(Digest.of(large)) == nil)
    }
}
