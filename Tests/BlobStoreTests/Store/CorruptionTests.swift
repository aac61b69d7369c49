@testable import BlobStore
import Foundation
import Testing

/// Bit rot on disk: a corrupt byte fails the read of its blob with an integrity error and is
/// never delivered; other blobs, and other blocks of the same blob, stay readable.
@Suite("Corruption")
struct CorruptionTests {
    func location(_ store: BlobStore, _ digest: Digest) throws -> (path: String, location: BlobLocation) {
        let location = try #require(store.index.lookup(digest))
        return ("packs/pack-\(DataDirectory.hex(location.packID)).pack", location)
    }

    func isIntegrityError(_ error: any Error) -> Bool {
        if case BlobStoreError.integrity = error { return true }
        return false
    }

    @Test func flippedPayloadByteInASharedPackFailsThatBlobOnly() async throws {
        let directory = TemporaryDirectory()
        let store = try await BlobStore.open(at: directory.path)
        let victim = randomBytes(seed: 1, count: 5000), bystander = randomBytes(seed: 2, count: 5000)
        let digest = try await store.put(victim).digest
        try await store.put(bystander)
        let (path, location) = try location(store, digest)
        try directory.flipByte(in: path, at: location.offset + UInt64(RecordHeader.size) + 2500)

        var delivered = 0
        await #expect(performing: { try await store.read(digest) { delivered += $0.count } }, throws: isIntegrityError)
        #expect(delivered == 0)
        #expect(try await store.bytes(of: Digest.of(bystander)) == bystander)
        try await store.close()
    }

    @Test func flippedByteInALargeBlobFailsOnlyTheBlockItIsIn() async throws {
        let directory = TemporaryDirectory()
        let store = try await BlobStore.open(at: directory.path)
        let blob = randomBytes(seed: 3, count: 3 << 20)
        let digest = try await store.put(blob).digest
        let (path, location) = try location(store, digest)
        try directory.flipByte(in: path, at: location.offset + UInt64(RecordHeader.size) + (2 << 20) + 17)

        var delivered = 0
        await #expect(performing: { try await store.read(digest) { delivered += $0.count } }, throws: isIntegrityError)
        #expect(delivered == 2 << 20, "the two good blocks before the bad one, nothing of the bad one")
        var firstBlock: [UInt8] = []
        try await store.read(digest, range: 0..<(1 << 20)) { firstBlock.append(contentsOf: $0) }
        #expect(firstBlock == Array(blob[..<(1 << 20)]))
        await #expect(performing: { try await store.read(digest, range: (2 << 20)..<(2 << 20) + 100) { _ in } }, throws: isIntegrityError)
        try await store.close()
    }

    @Test func flippedRecordHeaderByteFailsTheRead() async throws {
        let directory = TemporaryDirectory()
        let store = try await BlobStore.open(at: directory.path)
        let digest = try await store.put(randomBytes(seed: 4, count: 3000)).digest
        let (path, location) = try location(store, digest)
        try directory.flipByte(in: path, at: location.offset + 40)
        await #expect(performing: { try await store.read(digest) { _ in } }, throws: isIntegrityError)
        try await store.close()
    }

    @Test func flippedBlockTableByteFailsTheRead() async throws {
        let directory = TemporaryDirectory()
        let store = try await BlobStore.open(at: directory.path)
        let blob = randomBytes(seed: 5, count: 2 << 20)
        let digest = try await store.put(blob).digest
        let (path, location) = try location(store, digest)
        try directory.flipByte(in: path, at: location.offset + UInt64(RecordHeader.size) + UInt64(blob.count) + 3)
        await #expect(performing: { try await store.read(digest) { _ in } }, throws: isIntegrityError)
        try await store.close()
    }

    @Test func flippedByteInThePublishedIndexStopsTheOpen() async throws {
        let directory = TemporaryDirectory()
        var store = try await BlobStore.open(at: directory.path)
        try await store.put(randomBytes(seed: 6, count: 3000))
        try await store.close()
        try directory.flipByte(in: "index/current.idx", at: 100)
        await #expect(throws: BlobStoreError.self) { store = try await BlobStore.open(at: directory.path) }
    }
}
