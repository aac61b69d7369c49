@testable import BlobStore
import Foundation
import TestSupport
import Testing

/// Stores that garbage collection worked on (docs/FORMAT.md, "Deletion list"): the records it
/// deleted, still in their shared packs until compaction, are neither a problem for a check nor
/// brought back by a repair, whatever the repair rebuilds.
@Suite("stowage-fsck after collection", .serialized)
struct FsckCollectionTests {
    /// Stores small blobs no manifest names beside the fixture's images, in a pack that is then
    /// sealed, and removes every second one with a compaction that copies nothing, as a
    /// collection whose dead share stays under the threshold does; returns the removed ones.
    private func collect(_ fixture: FsckFixture) async throws -> [Digest] {
        var random = Random(seed: 11)
        let blobs = (0..<12).map { _ in random.bytes(3000) }
        var store = try await BlobStore.open(at: fixture.data)
        for blob in blobs { try await store.put(blob) }
        try await store.close()
        store = try await BlobStore.open(at: fixture.data)
        let doomed = blobs.enumerated().filter { $0.offset % 2 == 0 }.map { Digest.of($0.element) }
        #expect(store.remove(doomed).blobs == doomed.count)
        try await store.compact(deadShare: 2)
        try await store.close()
        return doomed
    }

    private func expectGone(_ doomed: [Digest], in fixture: FsckFixture) async throws {
        let store = try await BlobStore.open(at: fixture.data)
        for digest in doomed { #expect(!store.contains(digest), "\(digest) came back") }
        try await store.close()
        try await fixture.expectIntact(except: [])
    }

    @Test func whatCollectionDeletedIsNoProblemAndNoRepairBringsItBack() async throws {
        let fixture = try await FsckFixture.make()
        let doomed = try await collect(fixture)

        for level in ["structure", "verify"] {
            let check = try FsckResult(fixture, ["--level", level])
            #expect(check.status == 0 && check.storeFindings.isEmpty, "\(check)")
            #expect(check.statistics["deleted"] as? Int == doomed.count, "\(check)")
        }
        let repaired = try FsckResult(fixture, ["--level", "verify", "--repair"])
        #expect(repaired.status == 0, "\(repaired)")
        try await expectGone(doomed, in: fixture)

        // A rebuild from the packs, with no index to start from, leaves them out too.
        try FileManager.default.removeItem(atPath: fixture.publishedIndex)
        let rebuilt = try FsckResult(fixture, ["--repair"])
        #expect(rebuilt.status == 0, "\(rebuilt)")
        #expect((rebuilt.repair["store"] as? [String: Any])?["publishedIndexWritten"] as? Bool == true, "\(rebuilt)")
        try await expectGone(doomed, in: fixture)
    }

    /// A store written before the deletion list existed: what its published index leaves out
    /// of the packs it covers is what collection deleted, and a repair writes the list.
    @Test func aStoreWithoutADeletionListIsReadByItsPublishedIndex() async throws {
        let fixture = try await FsckFixture.make()
        let doomed = try await collect(fixture)
        let list = fixture.data + "/index/deleted"
        try FileManager.default.removeItem(atPath: list)

        let check = try FsckResult(fixture)
        #expect(check.status == 0 && check.statistics["deleted"] as? Int == doomed.count, "\(check)")
        let repaired = try FsckResult(fixture, ["--repair"])
        #expect((repaired.repair["store"] as? [String: Any])?["deletionListWritten"] as? Bool == true, "\(repaired)")
        #expect(FileManager.default.fileExists(atPath: list))
        try FileManager.default.removeItem(atPath: fixture.publishedIndex)
        #expect(try FsckResult(fixture, ["--repair"]).status == 0)
        try await expectGone(doomed, in: fixture)
    }

    /// Two pushes of one blob that raced past the existence check leave two records of it in one
    /// pack, and the pack's `.idx` names it once: that is no damaged index, and once the blob is
    /// deleted no rebuild takes the second copy for it.
    @Test func twoRecordsOfABlobInOnePackAreNoDamageAndStayDeleted() async throws {
        let fixture = try await FsckFixture.make()
        var random = Random(seed: 12)
        let bytes = random.bytes(3000), digest = Digest.of(bytes)
        var store = try await BlobStore.open(at: fixture.data)
        _ = try await store.putShared(digest: digest, payload: bytes)
        _ = try await store.putShared(digest: digest, payload: bytes)
        try await store.close()

        let check = try FsckResult(fixture)
        #expect(check.status == 0 && check.storeFindings.isEmpty, "\(check)")

        store = try await BlobStore.open(at: fixture.data)
        store.remove([digest])
        try await store.close()
        try FileManager.default.removeItem(atPath: fixture.publishedIndex)
        let repaired = try FsckResult(fixture, ["--repair"])
        #expect(repaired.status == 0, "\(repaired)")
        try await expectGone([digest], in: fixture)
    }
}
