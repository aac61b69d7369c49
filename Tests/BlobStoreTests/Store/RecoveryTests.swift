@testable import BlobStore
import Foundation
import Testing

/// What opening does with a pack a crash left unsealed: torn tails are cut, damage in the middle
/// stops the open and points to fsck.
@Suite("Recovery at open")
struct RecoveryTests {
    /// A store with one shared pack of `count` blobs, closed, then turned back into the state a
    /// crash leaves: seal record, pack index and published index gone.
    static func unsealedPack(_ directory: TemporaryDirectory, count: Int) async throws -> (blobs: [[UInt8]], pack: String) {
        let store = try await BlobStore.open(at: directory.path)
        let blobs = (0..<count).map { randomBytes(seed: UInt64($0), count: 1000 + $0) }
        for blob in blobs { try await store.put(blob) }
        try await store.close()
        let pack = try #require(directory.files(in: "packs").first { $0.hasSuffix(".pack") })
        let sealLength = UInt64(RecordHeader.size + 16 + 8)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: directory.path + "/packs/" + pack))
        try handle.truncate(atOffset: directory.size(of: "packs/" + pack) - sealLength)
        try handle.close()
        try FileManager.default.removeItem(atPath: directory.path + "/packs/" + pack.replacingOccurrences(of: ".pack", with: ".idx"))
        try FileManager.default.removeItem(atPath: directory.path + "/index/current.idx")
        return (blobs, pack)
    }

    static func append(_ bytes: [UInt8], to path: String) throws {
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(bytes))
        try handle.close()
    }

    @Test func unsealedPackIsScannedAndSealed() async throws {
        let directory = TemporaryDirectory()
        let (blobs, pack) = try await Self.unsealedPack(directory, count: 5)
        let store = try await BlobStore.open(at: directory.path)
        for blob in blobs { #expect(try await store.bytes(of: Digest.of(blob)) == blob) }
        try await store.close()
        #expect(directory.files(in: "packs").contains(pack.replacingOccurrences(of: ".pack", with: ".idx")))
    }

    @Test(arguments: [1, 60, 127, 128, 500])
    func tornTailIsCutWhenNothingValidFollows(tornBytes: Int) async throws {
        let directory = TemporaryDirectory()
        let (blobs, pack) = try await Self.unsealedPack(directory, count: 4)
        let path = directory.path + "/packs/" + pack
        let validSize = directory.size(of: "packs/" + pack)
        // The start of a record that never finished: a header, then part of its payload.
        let partial = RecordEncoder.blob(digest: Digest.of([1, 2, 3]), stored: Array(repeating: 7, count: 600), logicalLength: 600, codec: .verbatim)
        try Self.append(Array(partial.prefix(tornBytes)), to: path)

        let store = try await BlobStore.open(at: directory.path)
        for blob in blobs { #expect(try await store.bytes(of: Digest.of(blob)) == blob) }
        #expect(!store.contains(Digest.of([1, 2, 3])))
        try await store.close()
        // Cut back to the valid records, then sealed.
        #expect(directory.size(of: "packs/" + pack) == validSize + UInt64(RecordHeader.size + 16 + 8))
    }

    @Test func recordWithBadPayloadAtTheTailIsCut() async throws {
        let directory = TemporaryDirectory()
        let (blobs, pack) = try await Self.unsealedPack(directory, count: 3)
        // The last record's payload got only half its bytes to disk before the crash.
        try directory.flipByte(in: "packs/" + pack, at: directory.size(of: "packs/" + pack) - 100)
        let store = try await BlobStore.open(at: directory.path)
        #expect(!store.contains(Digest.of(blobs[2])))
        for blob in blobs.prefix(2) { #expect(try await store.bytes(of: Digest.of(blob)) == blob) }
        try await store.close()
    }

    @Test func damageBeforeAValidRecordStopsTheOpen() async throws {
        let directory = TemporaryDirectory()
        let (_, pack) = try await Self.unsealedPack(directory, count: 4)
        // A flipped byte in the second record's header: records after it are still valid.
        let secondRecord = UInt64(PackHeader.size) + UInt64(RecordHeader.size) + 1000 + 8
        try directory.flipByte(in: "packs/" + pack, at: secondRecord + 10)
        await #expect {
            _ = try await BlobStore.open(at: directory.path)
        } throws: { error in
            guard case BlobStoreError.damaged(let path, let reason) = error else { return false }
            return path.hasSuffix(pack) && reason.contains("valid record follows") && error.localizedDescription.contains("fsck")
                || "\(error)".contains("stowage-fsck")
        }
    }

    @Test func missingCoveredPackStopsTheOpen() async throws {
        let directory = TemporaryDirectory()
        let store = try await BlobStore.open(at: directory.path)
        try await store.put(randomBytes(seed: 1, count: 2 << 20))
        try await store.close()
        let pack = try #require(directory.files(in: "packs").first { $0.hasSuffix(".pack") })
        try FileManager.default.removeItem(atPath: directory.path + "/packs/" + pack)
        await #expect(throws: BlobStoreError.self) { _ = try await BlobStore.open(at: directory.path) }
    }

    @Test func leftoverTemporaryFilesAreRemoved() async throws {
        let directory = TemporaryDirectory()
        try await BlobStore.open(at: directory.path).close()
        _ = FileManager.default.createFile(atPath: directory.path + "/index/current.idx.tmp", contents: Data([1, 2, 3]))
        try await BlobStore.open(at: directory.path).close()
        #expect(!directory.files(in: "index").contains("current.idx.tmp"))
    }
}
