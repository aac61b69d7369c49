@testable import BlobStore
import Foundation
import TestSupport
import Testing

@Suite("BlobStore garbage collection")
struct CollectionTests {
    /// Blobs of mixed sizes: the large ones get solo packs, the small ones fill shared packs
    /// that rotate and seal.
    private func fill(_ store: BlobStore, count: Int, seed: UInt64) async throws -> [[UInt8]] {
        var random = SeededGenerator(seed: seed)
        var blobs: [[UInt8]] = []
        for index in 0..<count {
            let blob = random.bytes(index % 5 == 0 ? 20_000 + index : 3000 + index * 11)
            try await store.put(blob)
            blobs.append(blob)
        }
        return blobs
    }

    /// Fills shared packs with small blobs and removes three in four; returns the survivors.
    private func mostlyRemoved(_ store: BlobStore, count: Int, seed: UInt64) async throws -> [[UInt8]] {
        var random = SeededGenerator(seed: seed)
        let blobs = (0..<count).map { random.bytes(4000 + $0) }
        for blob in blobs { try await store.put(blob) }
        store.remove(blobs.enumerated().filter { $0.offset % 4 != 0 }.map { Digest.of($0.element) })
        return blobs.enumerated().filter { $0.offset % 4 == 0 }.map(\.element)
    }

    private func packFiles(_ directory: TemporaryDirectory) throws -> Set<String> {
        Set(try FileManager.default.contentsOfDirectory(atPath: directory.path + "/packs"))
    }

    @Test func removedBlobsAreGoneAfterReopenAndEmptiedPacksAreDeletedByCompaction() async throws {
        let directory = TemporaryDirectory()
        var store = try await BlobStore.open(at: directory.path, options: smallStoreOptions())
        let blobs = try await fill(store, count: 60, seed: 7)
        let doomed = blobs.enumerated().filter { $0.offset % 2 == 0 }.map { Digest.of($0.element) }
        let kept = blobs.enumerated().filter { $0.offset % 2 == 1 }.map(\.element)
        let before = try packFiles(directory)

        let result = store.remove(doomed + [Digest.of(Array("never stored".utf8))])
        // A share no pack reaches: only the packs without a live record go.
        let compaction = try await store.compact(deadShare: 2)

        #expect(result.blobs == doomed.count)
        #expect(compaction.packs == 0 && compaction.blobsCopied == 0)
        #expect(compaction.packsDeleted >= 6, "every second blob of each fifth is a solo pack")
        #expect(compaction.bytesFreed > 0)
        #expect(try packFiles(directory).isSubset(of: before))
        for digest in doomed { #expect(!store.contains(digest)) }
        for blob in kept { #expect(try await store.bytes(of: Digest.of(blob)) == blob) }
        try await store.close()

        store = try await BlobStore.open(at: directory.path, options: smallStoreOptions())
        #expect(Set(store.allBlobs().map(\.digest)) == Set(kept.map { Digest.of($0) }))
        for blob in kept { #expect(try await store.bytes(of: Digest.of(blob)) == blob) }
        // A removed blob can be stored again, and is then readable as any other.
        let again = blobs[0]
        try await store.put(again)
        #expect(try await store.bytes(of: Digest.of(again)) == again)
        try await store.close()
    }

    /// What collection removed stays removed however the index is found at the next open: as
    /// the publication left it, as it was before (a crash between the deletion list's write and
    /// the index's), or gone (docs/FORMAT.md, "Deletion list").
    @Test func removedBlobsStayRemovedWhenTheIndexIsOldOrMissing() async throws {
        let directory = TemporaryDirectory()
        let indexPath = directory.path + "/index/current.idx"
        var store = try await BlobStore.open(at: directory.path, options: smallStoreOptions())
        var random = SeededGenerator(seed: 31)
        let blobs = (0..<40).map { random.bytes(3000 + $0) }
        for blob in blobs { try await store.put(blob) }
        try await store.close()
        let before = try Data(contentsOf: URL(fileURLWithPath: indexPath))

        store = try await BlobStore.open(at: directory.path, options: smallStoreOptions())
        let doomed = blobs.enumerated().filter { $0.offset % 2 == 0 }.map { Digest.of($0.element) }
        let kept = blobs.enumerated().filter { $0.offset % 2 == 1 }.map(\.element)
        store.remove(doomed)
        try await store.compact(deadShare: 2)
        try await store.close()

        for damage in ["old index", "no index"] {
            if damage == "old index" {
                try before.write(to: URL(fileURLWithPath: indexPath))
            } else {
                try FileManager.default.removeItem(atPath: indexPath)
            }
            store = try await BlobStore.open(at: directory.path, options: smallStoreOptions())
            #expect(Set(store.allBlobs().map(\.digest)) == Set(kept.map { Digest.of($0) }), "\(damage)")
            for blob in kept { #expect(try await store.bytes(of: Digest.of(blob)) == blob) }
            try await store.close()
        }
    }

    /// Two records of one blob in a pack (two pushes that raced past the existence check): the
    /// second is dead from the start, so removing the blob removes both.
    @Test func aBlobStoredTwiceStaysRemovedWhenTheIndexIsRebuilt() async throws {
        let directory = TemporaryDirectory()
        var store = try await BlobStore.open(at: directory.path, options: smallStoreOptions())
        var random = SeededGenerator(seed: 32)
        let bytes = random.bytes(3000), digest = Digest.of(bytes)
        // Past `put`'s existence check, as two pushes that raced are.
        _ = try await store.putShared(digest: digest, payload: bytes)
        let first = try #require(store.index.lookup(digest))
        _ = try await store.putShared(digest: digest, payload: bytes)
        #expect(store.index.lookup(digest) == first, "the index keeps the first record")
        #expect(store.remove([digest]).blobs == 1)
        try await store.close()

        try FileManager.default.removeItem(atPath: directory.path + "/index/current.idx")
        store = try await BlobStore.open(at: directory.path, options: smallStoreOptions())
        #expect(!store.contains(digest))
        try await store.close()
    }

    /// Entries of packs compaction deleted leave the deletion list, so that a later pack can
    /// never inherit them.
    @Test func theDeletionListForgetsThePacksCompactionDeleted() async throws {
        let directory = TemporaryDirectory()
        let store = try await BlobStore.open(at: directory.path, options: smallStoreOptions())
        _ = try await mostlyRemoved(store, count: 80, seed: 33)
        let result = try await store.compact(deadShare: 0.5)
        #expect(result.packsDeleted > 1)
        let list = try #require(try DeletionList.load(store.directory))
        let onDisk = Set(try packFiles(directory).compactMap { DataDirectory.parsePackFileName($0)?.id })
        #expect(list.packIDs.isSubset(of: onDisk))
        try await store.close()
    }

    @Test func compactionCopiesLiveRecordsAndDeletesMostlyDeadPacks() async throws {
        let directory = TemporaryDirectory()
        var store = try await BlobStore.open(at: directory.path, options: smallStoreOptions())
        let survivors = try await mostlyRemoved(store, count: 80, seed: 11)
        // The open shared pack too: compaction seals it when it is mostly dead.
        let usage = try await store.packUsage(includingOpen: true)
        let sealedBefore = Set(usage.filter { $0.deadShare >= 0.5 }.map(\.packID))
        #expect(sealedBefore.count > 1)

        let result = try await store.compact(deadShare: 0.5, limits: .init())

        #expect(result.packs == sealedBefore.count)
        #expect(result.blobsCopied > 0 && result.bytesFreed > 0)
        let remaining = try packFiles(directory)
        for id in sealedBefore {
            #expect(!remaining.contains("pack-\(DataDirectory.hex(id)).pack"))
        }
        for blob in survivors { #expect(try await store.bytes(of: Digest.of(blob)) == blob) }
        try await store.close()

        store = try await BlobStore.open(at: directory.path, options: smallStoreOptions())
        #expect(Set(store.allBlobs().map(\.digest)) == Set(survivors.map { Digest.of($0) }))
        for blob in survivors { #expect(try await store.bytes(of: Digest.of(blob)) == blob) }
        try await store.close()
    }

    @Test func compactionRespectsItsByteLimit() async throws {
        let directory = TemporaryDirectory()
        let store = try await BlobStore.open(at: directory.path, options: smallStoreOptions())
        _ = try await mostlyRemoved(store, count: 80, seed: 12)
        let candidates = try await store.packUsage().filter { $0.deadShare >= 0.5 }.count
        #expect(candidates > 1)

        let result = try await store.compact(deadShare: 0.5, limits: .init(bytes: 1))

        #expect(result.packs == 1, "the limit stops compaction after the first pack")
        try await store.close()
    }

    @Test func compactionKeepsToItsRate() async throws {
        let directory = TemporaryDirectory()
        let store = try await BlobStore.open(at: directory.path, options: smallStoreOptions())
        _ = try await mostlyRemoved(store, count: 80, seed: 14)
        let start = ContinuousClock.now

        let result = try await store.compact(deadShare: 0.5, limits: .init(bytesPerSecond: 100_000))

        // A lower bound only: a slow machine may take longer, never shorter.
        #expect(result.bytesCopied > 50_000)
        #expect(ContinuousClock.now - start >= .seconds(Double(result.bytesCopied) / 100_000) - .milliseconds(50))
        try await store.close()
    }

    @Test func aCompactedBlobIsReadFromItsNewPack() async throws {
        let directory = TemporaryDirectory()
        let store = try await BlobStore.open(at: directory.path, options: smallStoreOptions())
        let survivor = try await mostlyRemoved(store, count: 40, seed: 13)[0]
        let oldLocation = try #require(store.index.lookup(Digest.of(survivor)))

        try await store.compact(deadShare: 0.5, limits: .init())
        #expect(store.index.lookup(Digest.of(survivor)) != oldLocation)
        #expect(!FileManager.default.fileExists(atPath: store.directory.packPath(oldLocation.packID)))
        #expect(try await store.bytes(of: Digest.of(survivor)) == survivor)
        try await store.close()
    }

    /// Compaction seals a mostly dead open pack and deletes it once its live records are copied
    /// out. Blobs stored in that pack while compaction looks at it (between its snapshot of the
    /// index and the seal) must be copied too, not deleted with the pack.
    @Test func blobsStoredWhileCompactionSealsTheOpenPackSurviveIt() async throws {
        let directory = TemporaryDirectory()
        var options = smallStoreOptions()
        options.packSizeLimit = 4 << 20
        let store = try await BlobStore.open(at: directory.path, options: options)
        var random = SeededGenerator(seed: 29)
        var live: [[UInt8]] = []
        var packsDeleted = 0
        for _ in 0..<40 {
            let doomed = (0..<24).map { _ in random.bytes(4000) }
            let kept = (0..<2).map { _ in random.bytes(4000) }
            for blob in doomed + kept { try await store.put(blob) }
            store.remove(doomed.map { Digest.of($0) })
            live += kept
            let arriving = (0..<8).map { _ in random.bytes(4000) }
            async let compaction = store.compact(deadShare: 0.5)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for blob in arriving {
                    group.addTask { try await store.put(blob) }
                }
                try await group.waitForAll()
            }
            packsDeleted += try await compaction.packsDeleted
            live += arriving
            for blob in live {
                #expect(try await store.bytes(of: Digest.of(blob)) == blob)
            }
        }
        // That the race was exercised, not that it was in most rounds: how often compaction
        // finds the open pack mostly dead depends on how the puts and the compaction interleave,
        // and a loaded machine (the whole suite on two cores) gave 13 of 40 where a quiet one
        // gives more than 20. Every round checks every blob either way.
        #expect(packsDeleted >= 5, "the open pack was sealed and deleted in several rounds")
        try await store.close()
        let reopened = try await BlobStore.open(at: directory.path, options: options)
        for blob in live {
            #expect(try await reopened.bytes(of: Digest.of(blob)) == blob)
        }
        try await reopened.close()
    }
}
